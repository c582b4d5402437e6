// The `netplumb` command tree. Commander parses (subcommands, repeatable
// options, generated --help); every command is built in its own file.
import { Command, Option } from 'commander';
import { cniCommand } from './cni.js';
import { createCommand } from './create.js';
import { daemonCommand } from './daemon-cmd.js';
import { demoCommand } from './demo.js';
import { execCommand } from './exec.js';
import { graphCommand } from './graph.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { networkCommand } from './network.js';
import { runCommand } from './run.js';
import { sandboxCommand } from './sandbox-cmd.js';
import { inspectCommand, portCommand, psCommand, rmCommand } from './sandboxes.js';
import { logsCommand, startCommand, stopCommand } from './lifecycle.js';
import { reconcileCommand } from './reconcile.js';

/** Settings every command needs, applied down the tree (addCommand does not inherit them). */
function configure(cmd: Command): void {
  cmd.exitOverride();
  cmd.showHelpAfterError(`(run '${commandPath(cmd)} --help' for usage)`);
  cmd.configureOutput({ outputError: (text, write) => write(`netplumb: ${text.replace(/^error: /, '')}`) });
  for (const sub of cmd.commands) configure(sub);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function buildProgram(version: string): Command {
  const program = new Command('netplumb')
    .description("Docker's container networking over netlink: networks, sandboxes, published ports, DNS")
    .version(version, '-v, --version')
    .addOption(
      new Option('--state-dir <dir>', 'keep networks, sandboxes and their hosts/resolv.conf under DIR (default /run/netplumb, /var/lib/netplumb and /etc)').env(
        'NETPLUMB_STATE_DIR',
      ),
    )
    .addOption(
      new Option('-H, --host <address>', "go through the netplumbd listening here (unix:///path); default: the daemon that owns the state, if one runs, else work in this process").env(
        'NETPLUMB_HOST',
      ),
    )
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nExample:\n  netplumb sandbox -- netplumb run --rm -p 8080:80 -- python3 -m http.server 80`);
  for (const cmd of [networkCommand(), runCommand(), createCommand(), execCommand(), psCommand(), inspectCommand(), portCommand(), logsCommand(), stopCommand(), startCommand(), rmCommand(), reconcileCommand(), graphCommand(), sandboxCommand(), demoCommand(), daemonCommand(), cniCommand()])
    program.addCommand(cmd);
  configure(program);
  return program;
}
