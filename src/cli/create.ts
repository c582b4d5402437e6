// `netplumb create`: a sandbox with its network and no process, or a
// runtime's namespace adopted (--netns/--pid), as the CNI plugins are used.
import { Command } from 'commander';
import { KernelError } from '../core/errors.js';
import { withEngine } from './engine.js';
import { NotFoundFailure } from './errors.js';
import { out, printJson } from './output.js';
import { addSandboxOptions, adoptOption, sandboxCreateOptions, type SandboxFlags } from './sandbox-options.js';

export function createCommand(): Command {
  return addSandboxOptions(new Command('create'))
    .option('--netns <path>', "adopt this namespace (e.g. a runtime's /proc/PID/ns/net or /run/netns/NAME) instead of creating one")
    .option('--pid <pid>', 'adopt the network namespace of this process')
    .option('--json', 'print the sandbox as JSON instead of its id')
    .addHelpText('after', '\nExample:\n  netplumb create --name web1 --network backend -p 8080:80\n  nsenter --net=/run/netns/$(netplumb ps --json | jq -r \'.[0].netnsName\') -- ip addr')
    .action(async (o: SandboxFlags & { netns?: string; pid?: string; json?: boolean }, cmd: Command) => {
      const opts = sandboxCreateOptions(o);
      const netns = adoptOption(o);
      if (netns) opts.netns = netns;
      const s = await withEngine(cmd, (e) => e.sandboxes.create(opts)).catch((e: unknown) => {
        // The kernel's "no such file" for /proc/PID/ns/net: the process is not there.
        if (netns && 'pid' in netns && e instanceof KernelError && (e.code === 'ENOENT' || e.code === 'ESRCH'))
          throw new NotFoundFailure(`no such process: ${netns.pid}`, 'give the pid of a running process inside the namespace to adopt (e.g. a container\'s init)');
        throw e;
      });
      if (o.json) printJson(s);
      else out(`${s.id}\n`);
    });
}
