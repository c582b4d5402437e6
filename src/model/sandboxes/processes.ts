// Where a sandbox's processes run: its namespace with its hosts and
// resolv.conf (an owned sandbox's, under <etc>/netns/<name>/), a joined
// sandbox in its owner's, and host mode in the engine's host namespace
// (entered only when that is not this process's own).
import { netnsEtcDir } from '../../core/netns-paths.js';
import { isOwnNamespace, type LaunchTarget } from '../../kernel/launch.js';
import type { ModelContext } from '../context.js';
import type { SandboxRecord } from '../state/records.js';

export function launchTarget(ctx: ModelContext, s: SandboxRecord): LaunchTarget {
  if (s.netns.kind === 'host' || s.netns.path === '') {
    const fd = ctx.host.handle.fd;
    // A closed handle (null) can only be the engine's own process namespace, which needs no entering.
    return fd === null || isOwnNamespace({ fd }) ? {} : { netnsPath: `/proc/${process.pid}/fd/${fd}` };
  }
  const target: LaunchTarget = { netnsPath: s.netns.path };
  if (s.netns.kind === 'owned' && s.netns.name !== undefined) target.etcDir = netnsEtcDir(s.netns.name, ctx.etcDir);
  // A container's own hostname (Docker gives every container a UTS namespace); host mode keeps the host's.
  if (s.netns.kind === 'owned') target.hostname = s.hostname;
  return target;
}
