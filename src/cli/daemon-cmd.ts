// `netplumb daemon`: netplumbd in the foreground, with the same flags; -H
// (where to listen) and --state-dir are the CLI's global options. The
// daemon's code is loaded only when this command runs.
import { Command } from 'commander';
import { addDaemonFlags, type DaemonFlags } from '../daemon/flags.js';
import { stateDirOf, type GlobalOptions } from './engine.js';

export function daemonCommand(): Command {
  return addDaemonFlags(new Command('daemon'))
    .addHelpText('after', '\nExample:\n  netplumb -H unix:///run/netplumb/netplumb.sock daemon --log-level debug')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<DaemonFlags & GlobalOptions>();
      const { daemonOptions } = await import('../daemon/options.js');
      const options = daemonOptions(o, o.host !== undefined ? [o.host] : [], stateDirOf(cmd));
      const { runDaemon } = await import('../daemon/run.js');
      process.exitCode = await runDaemon(options);
    });
}
