// Turning `-p` bindings into published ports: the host port of each binding
// is fixed, picked from its range or picked at random, and may not collide
// with a port another endpoint (or this one) already publishes.
import { ValidationError } from '../../core/errors.js';
import { pickHostPort, type PortBinding, type PortProtocol, type PortRange } from '../../addressing/port-spec.js';
import { ConflictError } from '../../core/errors.js';
import type { PublishedPort } from '../state/records.js';

/** Two publications collide when protocol and port match and their addresses overlap ("every address" overlaps all). */
function collides(a: Pick<PublishedPort, 'protocol' | 'hostPort' | 'hostIp'>, b: Pick<PublishedPort, 'protocol' | 'hostPort' | 'hostIp'>): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIp === undefined || b.hostIp === undefined || a.hostIp === b.hostIp);
}

export type { TakenPort } from '../state/port-store.js';

/** The publications already holding one host port (another endpoint's), asked one port at a time. */
export type PortHolders = (protocol: PortProtocol, hostPort: number) => readonly (Pick<PublishedPort, 'protocol' | 'hostIp' | 'hostPort'> & { sandbox?: string })[];

/** A host port a process on the host holds (a listener): never published over. */
export interface BusyPort {
  protocol: PublishedPort['protocol'];
  /** undefined: every address. */
  hostIp?: string;
  hostPort: number;
  /** Who holds it, for the error. */
  by: string;
}

/**
 * Host ports for `bindings`, in order. `taken` answers for one host port at
 * a time (so a check costs the same however many ports are published);
 * `hostBinding` is the network's default host address for bindings that
 * name none.
 */
export function resolvePorts(
  bindings: readonly PortBinding[],
  taken: PortHolders,
  opts: { hostBinding?: string; ephemeral?: PortRange; busy?: readonly BusyPort[] } = {},
): PublishedPort[] {
  // Host listeners and this request's own ports, by protocol and port; other endpoints' come from `taken`.
  type Holder = Pick<PublishedPort, 'protocol' | 'hostIp' | 'hostPort'> & { sandbox?: string; by?: string };
  const local = new Map<string, Holder[]>();
  const remember = (p: Holder): void => {
    const key = `${p.protocol}/${p.hostPort}`;
    local.set(key, [...(local.get(key) ?? []), p]);
  };
  for (const b of opts.busy ?? []) remember(b);
  const holders = (protocol: PortProtocol, hostPort: number): readonly Holder[] => [...(local.get(`${protocol}/${hostPort}`) ?? []), ...taken(protocol, hostPort)];
  const out: PublishedPort[] = [];
  for (const b of bindings) {
    const hostIp = b.hostIp ?? opts.hostBinding;
    let hostPort: number;
    if (b.hostPort.kind === 'fixed') {
      hostPort = b.hostPort.port;
      const holder = holders(b.protocol, hostPort).find((t) => collides(t, { protocol: b.protocol, hostPort, hostIp }));
      if (holder)
        throw new ConflictError(
          'port-in-use',
          `host port ${hostIp ?? '0.0.0.0'}:${hostPort}/${b.protocol} is ` +
            (holder.by !== undefined
              ? `in use on the host: ${holder.by}`
              : `already published${holder.sandbox !== undefined ? ` by '${holder.sandbox}'` : ' by this sandbox'}`) +
            `; pick another host port or use a random one (-p ${b.containerPort}/${b.protocol})`,
        );
    } else {
      const used = { has: (port: number) => holders(b.protocol, port).some((t) => collides(t, { protocol: b.protocol, hostPort: port, hostIp })) };
      hostPort = pickHostPort(b.hostPort, used, opts.ephemeral);
    }
    const p: PublishedPort = { protocol: b.protocol, hostPort, containerPort: b.containerPort };
    if (hostIp !== undefined) p.hostIp = hostIp;
    out.push(p);
    remember(p);
  }
  return out;
}

export function refuseIfAny(bindings: readonly PortBinding[], mode: string): void {
  if (bindings.length > 0)
    throw new ValidationError(
      'publish',
      `ports cannot be published with network mode '${mode}': ` +
        (mode === 'host'
          ? 'the sandbox uses the host network, so its ports are already the host ports; drop -p'
          : mode === 'none'
            ? 'the sandbox has no network to publish on; attach it to a network or drop -p'
            : 'the sandbox shares another sandbox\'s network; publish the ports on that one'),
    );
}
