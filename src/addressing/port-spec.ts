// `docker run -p` / `-P` specifications as typed bindings, parsed the way
// Docker's go-connections nat.ParsePortSpec splits them, but with errors that
// say which part was wrong; and the choice of a free host port.
import { randomInt } from 'node:crypto';
import { ValidationError } from '../core/errors.js';
import { PoolExhaustedError } from '../core/errors.js';
import { canonicalAddress } from './ipnet.js';

export const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
export type PortProtocol = (typeof PROTOCOLS)[number];

/** Where the host side listens: one port, one free port of a range, or any free ephemeral port. */
export type HostPort =
  | { kind: 'fixed'; port: number }
  | { kind: 'range'; start: number; end: number }
  | { kind: 'random' };

export interface PortBinding {
  protocol: PortProtocol;
  containerPort: number;
  /** Canonical host address, or undefined for every address (Docker's 0.0.0.0 and ::). */
  hostIp?: string;
  hostPort: HostPort;
}

export interface PortRange {
  start: number;
  end: number;
}

/** Docker's fallback when /proc/sys/net/ipv4/ip_local_port_range cannot be read. */
export const DEFAULT_EPHEMERAL_RANGE: Readonly<PortRange> = { start: 49153, end: 65535 };

function parsePort(text: string, spec: string, what: string): number {
  if (!/^\d{1,5}$/.test(text))
    throw new ValidationError('publish', `invalid ${what} '${text}' in '${spec}': a port is a number from 1 to 65535`);
  const n = Number(text);
  if (n < 1 || n > 65535)
    throw new ValidationError('publish', `invalid ${what} ${n} in '${spec}': a port must be from 1 to 65535`);
  return n;
}

/** "80" or "8000-8010". */
function parseRange(text: string, spec: string, what: string): PortRange {
  const dash = text.indexOf('-');
  if (dash < 0) {
    const p = parsePort(text, spec, what);
    return { start: p, end: p };
  }
  const start = parsePort(text.slice(0, dash), spec, what);
  const end = parsePort(text.slice(dash + 1), spec, what);
  if (end < start)
    throw new ValidationError('publish', `invalid ${what} range ${text} in '${spec}': the end is below the start`);
  return { start, end };
}

function parseProtocol(text: string, spec: string): PortProtocol {
  const p = text.toLowerCase();
  if (!(PROTOCOLS as readonly string[]).includes(p))
    throw new ValidationError('publish', `invalid protocol '${text}' in '${spec}': use tcp, udp or sctp`);
  return p as PortProtocol;
}

function parseHostIp(text: string, spec: string): string {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (bare === '') throw new ValidationError('publish', `empty host IP in '${spec}'`);
  try {
    return canonicalAddress(bare, 'publish');
  } catch {
    throw new ValidationError('publish', `invalid host IP '${text}' in '${spec}'`);
  }
}

/**
 * Parses one `-p` value into bindings, one per container port:
 * `80`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80`, `[::1]:8080:80`,
 * `::1:8080:80`, `:80` (random host port), with `/tcp`, `/udp`, `/sctp`; `8000-8010:80-90` (equal
 * lengths) and `8000-8010:80` (one free port of the host range).
 */
export function parsePortSpec(spec: string): PortBinding[] {
  if (typeof spec !== 'string' || spec.trim() === '')
    throw new ValidationError('publish', 'a port specification must be a non-empty string like 8080:80/tcp');
  let rest = spec;
  let protocol: PortProtocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = parseProtocol(rest.slice(slash + 1), spec);
    rest = rest.slice(0, slash);
  }
  // As Docker does: the last part is the container port, the one before it the
  // host port, and everything before those (colons included) the host IP.
  const parts = rest.split(':');
  const containerText = parts[parts.length - 1] as string;
  const hostText = parts.length >= 2 ? (parts[parts.length - 2] as string) : '';
  const ipText = parts.length >= 3 ? parts.slice(0, -2).join(':') : undefined;

  const container = parseRange(containerText, spec, 'container port');
  const hostIp = ipText === undefined ? undefined : parseHostIp(ipText, spec);
  const host = hostText === '' ? undefined : parseRange(hostText, spec, 'host port');
  const containerLen = container.end - container.start;
  if (host && containerLen > 0 && host.end - host.start !== containerLen)
    throw new ValidationError(
      'publish',
      `invalid ranges in '${spec}': host ports ${hostText} and container ports ${containerText} must be the same length`,
    );

  const out: PortBinding[] = [];
  for (let p = container.start; p <= container.end; p++) {
    let hostPort: HostPort;
    if (!host) hostPort = { kind: 'random' };
    else if (containerLen > 0) hostPort = { kind: 'fixed', port: host.start + (p - container.start) };
    else if (host.start === host.end) hostPort = { kind: 'fixed', port: host.start };
    else hostPort = { kind: 'range', start: host.start, end: host.end };
    const b: PortBinding = { protocol, containerPort: p, hostPort };
    if (hostIp !== undefined) b.hostIp = hostIp;
    out.push(b);
  }
  return out;
}

/** Parses several `-p` values. */
export function parsePortSpecs(specs: readonly string[]): PortBinding[] {
  return specs.flatMap((s) => parsePortSpec(s));
}

/** `-P`: every exposed port ("80", "80/tcp", "53/udp", "8000-8002/tcp") on a random host port. */
export function publishAll(exposed: readonly string[], hostIp?: string): PortBinding[] {
  return exposed.flatMap((e) => {
    if (e.includes(':'))
      throw new ValidationError('expose', `invalid exposed port '${e}': it takes a port or range and a protocol only`);
    const bindings = parsePortSpec(e);
    const ip = hostIp === undefined ? undefined : parseHostIp(hostIp, hostIp);
    return ip === undefined ? bindings : bindings.map((b) => ({ ...b, hostIp: ip }));
  });
}

/**
 * A free port for a binding without a fixed one. `range` form: the first free
 * port of the range, as dockerd's port allocator takes it; `random` form: a
 * random start in the ephemeral range, then the next free port (wrapping).
 */
export function pickHostPort(
  hostPort: HostPort,
  used: Pick<ReadonlySet<number>, 'has'>,
  ephemeral: PortRange = DEFAULT_EPHEMERAL_RANGE,
  random: (n: number) => number = (n) => randomInt(n),
): number {
  if (hostPort.kind === 'fixed') return hostPort.port;
  if (hostPort.kind === 'range') {
    for (let p = hostPort.start; p <= hostPort.end; p++) if (!used.has(p)) return p;
    throw new PoolExhaustedError(
      `${hostPort.start}-${hostPort.end}`,
      `every host port of the range ${hostPort.start}-${hostPort.end} is already in use`,
    );
  }
  const count = ephemeral.end - ephemeral.start + 1;
  const first = random(count);
  for (let i = 0; i < count; i++) {
    const p = ephemeral.start + ((first + i) % count);
    if (!used.has(p)) return p;
  }
  throw new PoolExhaustedError(
    `${ephemeral.start}-${ephemeral.end}`,
    `no free host port is left in the ephemeral range ${ephemeral.start}-${ephemeral.end}`,
  );
}

/** Parses /proc/sys/net/ipv4/ip_local_port_range text ("32768\t60999"), or undefined if it is not that. */
export function parseEphemeralRange(text: string): PortRange | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return start >= 1 && end <= 65535 && start <= end ? { start, end } : undefined;
}

function portNumber(v: unknown, field: string): number {
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535)
    throw new ValidationError('publish', `${field} must be a port from 1 to 65535, got ${typeof v === 'number' ? v : typeof v}`);
  return v as number;
}

/**
 * A binding given as an object (as parsePortSpec makes them) by a caller in
 * plain JavaScript, checked field by field; returns it with a canonical hostIp.
 */
export function checkPortBinding(v: unknown): PortBinding {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ValidationError('publish', 'a published port is a string like "8080:80" or an object { protocol, containerPort, hostPort, hostIp? }');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!['protocol', 'containerPort', 'hostPort', 'hostIp'].includes(k) || (o[k] === undefined && k !== 'hostIp'))
      throw new ValidationError('publish', `a published port has no field '${k}' (known: protocol, containerPort, hostPort, hostIp)`);
  if (!(PROTOCOLS as readonly unknown[]).includes(o.protocol)) throw new ValidationError('publish', 'publish protocol must be tcp, udp or sctp');
  const b: PortBinding = { protocol: o.protocol as PortProtocol, containerPort: portNumber(o.containerPort, 'publish containerPort'), hostPort: { kind: 'random' } };
  const h = o.hostPort as Record<string, unknown> | null | undefined;
  if (typeof h !== 'object' || h === null) throw new ValidationError('publish', "publish hostPort must be { kind: 'fixed', port } | { kind: 'range', start, end } | { kind: 'random' }");
  if (h.kind === 'fixed') b.hostPort = { kind: 'fixed', port: portNumber(h.port, 'publish hostPort.port') };
  else if (h.kind === 'range') {
    const start = portNumber(h.start, 'publish hostPort.start');
    const end = portNumber(h.end, 'publish hostPort.end');
    if (end < start) throw new ValidationError('publish', 'publish hostPort range ends below its start');
    b.hostPort = { kind: 'range', start, end };
  } else if (h.kind !== 'random') throw new ValidationError('publish', "publish hostPort.kind must be 'fixed', 'range' or 'random'");
  if (o.hostIp !== undefined) {
    if (typeof o.hostIp !== 'string') throw new ValidationError('publish', 'publish hostIp must be an address string');
    b.hostIp = canonicalAddress(o.hostIp, 'publish');
  }
  return b;
}
