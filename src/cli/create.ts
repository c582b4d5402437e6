// `netplumb create`: a sandbox with its network and no process, or a
// runtime's namespace adopted (--netns/--pid), as the CNI plugins are used.
import { Command } from 'commander';
import { withEngine } from './engine.js';
import { printJson } from './output.js';
import { addSandboxOptions, adoptOption, sandboxCreateOptions, type SandboxFlags } from './sandbox-options.js';

export function createCommand(): Command {
  return addSandboxOptions(new Command('create'))
    .description('create a sandbox (a network namespace with its network) without running anything; prints its id')
    .option('--netns <path>', "adopt this namespace (e.g. a runtime's /proc/PID/ns/net or /run/netns/NAME) instead of creating one")
    .option('--pid <pid>', 'adopt the network namespace of this process')
    .option('--json', 'print the sandbox as JSON instead of its id')
    .addHelpText('after', '\nExample:\n  netplumb create --name web1 --network backend -p 8080:80\n  nsenter --net=/run/netns/$(netplumb ps --json | jq -r \'.[0].netnsName\') -- ip addr')
    .action(async (o: SandboxFlags & { netns?: string; pid?: string; json?: boolean }, cmd: Command) => {
      const opts = sandboxCreateOptions(o);
      const netns = adoptOption(o);
      if (netns) opts.netns = netns;
      const s = await withEngine(cmd, (e) => e.sandboxes.create(opts));
      if (o.json) printJson(s);
      else process.stdout.write(`${s.id}\n`);
    });
}
