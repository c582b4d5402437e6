// Turning `-p` bindings into published ports: the host port of each binding
// is fixed, picked from its range or picked at random, and may not collide
// with a port another endpoint (or this one) already publishes.
import { ValidationError } from '../../core/errors.js';
import { pickHostPort, type PortBinding, type PortProtocol, type PortRange } from '../../addressing/port-spec.js';
import { ConflictError } from '../../core/errors.js';
import type { PublishedPort } from '../state/records.js';

/** Two publications collide when protocol and port match and their addresses overlap ("every address" overlaps all). */
function collides(a: PublishedPort, b: Pick<PublishedPort, 'protocol' | 'hostPort' | 'hostIp'>): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIp === undefined || b.hostIp === undefined || a.hostIp === b.hostIp);
}

/** The publications already holding one host port (another endpoint's, or this request's own). */
export type PortHolders = (protocol: PortProtocol, hostPort: number) => readonly (PublishedPort & { sandbox?: string })[];

/**
 * Host ports for `bindings`, in order. `taken` answers for one host port at a
 * time (so a check costs the same however many ports are published);
 * `hostBinding` is the network's default host address for bindings that
 * name none.
 */
export function resolvePorts(
  bindings: readonly PortBinding[],
  taken: PortHolders,
  opts: { hostBinding?: string; ephemeral?: PortRange } = {},
): PublishedPort[] {
  const out: PublishedPort[] = [];
  // The request's own ports collide with each other too.
  const holders = (protocol: PortProtocol, hostPort: number) => [
    ...taken(protocol, hostPort),
    ...out.filter((p) => p.protocol === protocol && p.hostPort === hostPort),
  ];
  for (const b of bindings) {
    const hostIp = b.hostIp ?? opts.hostBinding;
    let hostPort: number;
    if (b.hostPort.kind === 'fixed') {
      hostPort = b.hostPort.port;
      const holder = holders(b.protocol, hostPort).find((t) => collides(t, { protocol: b.protocol, hostPort, hostIp }));
      if (holder)
        throw new ConflictError(
          'port-in-use',
          `host port ${hostIp ?? '0.0.0.0'}:${hostPort}/${b.protocol} is already published` +
            ('sandbox' in holder && holder.sandbox !== undefined ? ` by '${holder.sandbox}'` : ' by this sandbox') +
            `; pick another host port or use a random one (-p ${b.containerPort}/${b.protocol})`,
        );
    } else {
      const used = { has: (port: number) => holders(b.protocol, port).some((t) => collides(t, { protocol: b.protocol, hostPort: port, hostIp })) };
      hostPort = pickHostPort(b.hostPort, used, opts.ephemeral);
    }
    const p: PublishedPort = { protocol: b.protocol, hostPort, containerPort: b.containerPort };
    if (hostIp !== undefined) p.hostIp = hostIp;
    out.push(p);
  }
  return out;
}

/** `docker port` lines: "80/tcp -> 0.0.0.0:8080". */
export function describePort(p: PublishedPort): string {
  const ip = p.hostIp ?? '0.0.0.0';
  return `${p.containerPort}/${p.protocol} -> ${ip.includes(':') ? `[${ip}]` : ip}:${p.hostPort}`;
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
