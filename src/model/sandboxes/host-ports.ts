// What the host itself says about the ports a sandbox is to publish, read
// before anything changes: the ports processes on the host listen on (one
// socket-diag dump, as `ss -lntu`, no bind needed), whether a host address
// given is one of the host's, and — after the kernel refused a port another
// state root on this host publishes — which owner holds it.
import { isIP } from 'node:net';
import { AlreadyExistsError, ConflictError } from '../../core/errors.js';
import type { PortBinding } from '../../addressing/port-spec.js';
import { opCall, type ListeningSocket } from '../../addon/ops.js';
import type { Route } from '../../addon/wire/route.js';
import { contains, parseAddress, parsePrefix } from '../../addressing/ipnet.js';
import { routeCalls } from '../../rtnl/route.js';
import { Nftables } from '../../nft/nftables.js';
import type { ModelContext } from '../context.js';
import { readFirewall } from '../firewall/index.js';
import { isUnspecified, type PortMapping } from '../firewall/inputs.js';
import type { BusyPort } from './ports.js';

function listenerAddress(s: ListeningSocket): string | undefined {
  if (s.address === '0.0.0.0' || s.address === '::') return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(s.address);
  return mapped ? mapped[1] : s.address;
}

/**
 * The host ports in use by processes on the host, for the protocols of
 * `bindings` (only those ports when every binding names a fixed one), and a
 * ConflictError when a binding's host address is not an address of the host.
 */
export async function hostPortsInUse(ctx: ModelContext, bindings: readonly PortBinding[], hostBinding?: string): Promise<BusyPort[]> {
  const protocols = [...new Set(bindings.map((b) => b.protocol).filter((p): p is 'tcp' | 'udp' => p === 'tcp' || p === 'udp'))];
  const hostIps = [...new Set(bindings.map((b) => b.hostIp ?? hostBinding).filter((a): a is string => a !== undefined && !isUnspecified(a)))];
  if (protocols.length === 0 && hostIps.length === 0) return [];
  const fixed = bindings.every((b) => b.hostPort.kind === 'fixed');
  const ports = fixed ? [...new Set(bindings.map((b) => (b.hostPort.kind === 'fixed' ? b.hostPort.port : 0)))] : undefined;
  const calls = [];
  if (protocols.length > 0) calls.push(opCall('sockets.listening', { protocols, ...(ports ? { ports } : {}) }));
  // An address is the host's when the local table routes it as local (what `fib daddr type local` asks):
  // its own addresses, all of 127.0.0.0/8, and any range routed locally (AnyIP).
  if (hostIps.length > 0) calls.push(routeCalls.list({ table: 'local' }));
  const results = await ctx.host.exec(calls);
  const listening = (protocols.length > 0 ? results[0] : []) as ListeningSocket[];
  if (hostIps.length > 0) {
    const local = (results[results.length - 1] as Route[]).filter((r) => r.type === 'local').map((r) => parsePrefix(r.destination.includes('/') ? r.destination : `${r.destination}/${r.family === 4 ? 32 : 128}`, 'route'));
    for (const ip of hostIps)
      if (!local.some((p) => contains(p, parseAddress(ip, 'hostIp'))))
        throw new ConflictError(
          'address-not-local',
          `host address ${ip} is not an address of the host, so nothing could reach a port published on it; publish on one of the host's addresses or on every address`,
        );
  }
  return listening.map((s) => {
    const b: BusyPort = { protocol: s.protocol, hostPort: s.port, by: `a process listens on ${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}/${s.protocol} (socket inode ${s.inode})` };
    const ip = listenerAddress(s);
    if (ip !== undefined) b.hostIp = ip;
    return b;
  });
}

/**
 * After the kernel refused to publish a port (the element exists): a
 * ConflictError naming who holds it — another state root on this host (its
 * @owners entry), or an element nobody marked. Other errors pass through.
 */
export async function publishConflict(ctx: ModelContext, e: unknown, wanted: readonly PortMapping[]): Promise<unknown> {
  if (!(e instanceof AlreadyExistsError) || e.op !== 'NFT_MSG_NEWSETELEM') return e;
  const state = readFirewall(await new Nftables(ctx.host).list({ family: 'inet' }));
  const sameKey = (a: PortMapping, b: PortMapping): boolean =>
    a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIp ?? '') === (b.hostIp ?? '') && isIP(a.containerIp) === isIP(b.containerIp);
  for (const w of wanted) {
    const holder = state.ports.find((p) => sameKey(p, w));
    if (!holder) continue;
    const where = `${w.hostIp ?? '0.0.0.0'}:${w.hostPort}/${w.protocol}`;
    const owner = holder.owner !== undefined ? [...state.owners].find(([id]) => id.toString(16).padStart(8, '0') === holder.owner)?.[1] : undefined;
    if (holder.owner === ctx.state.owner.tag)
      return new ConflictError('port-in-use', `host port ${where} is already published by endpoint ${holder.endpoint.slice(0, 12)} of this state`);
    return new ConflictError(
      'port-in-use',
      `host port ${where} is already published by ` + (owner !== undefined ? `the netplumb state root ${owner}` : `another party (element comment '${holder.owner ?? ''}${holder.owner ? ':' : ''}${holder.endpoint}')`),
      owner,
    );
  }
  return e;
}
