// What the runtime asks of one attachment: published ports (the
// `portMappings` capability, keys in the convention's case or in Go's field
// names as containerd sends them, "HostIP": "" meaning every address),
// static addresses (`ips` capability, then args.cni.ips, then CNI_ARGS IP),
// a MAC (`mac` capability, then CNI_ARGS MAC) and DNS settings (`dns`
// capability), plus the attachment's key in netplumb's state.
import { createHash } from 'node:crypto';
import { CniError } from '../core/errors.js';
import { canonicalAddress, contains, parseAddress, parsePrefix } from '../addressing/ipnet.js';
import { PROTOCOLS, type PortBinding, type PortProtocol } from '../addressing/port-spec.js';
import { macAddress } from '../core/validate.js';
import type { CniArgs } from './cni-args.js';
import { asConfigError, type Json, type NetworkSpec } from './config.js';
import { CODE, type CniDns } from './spec.js';

export interface AttachmentSpec {
  ports: PortBinding[];
  ipv4?: string;
  ipv6?: string;
  mac?: string;
  dns?: CniDns;
}

const invalid = (details: string): CniError => new CniError(CODE.invalidConfig, 'invalid network config', details);

/**
 * The sandbox that holds one attachment, named from its key (network name,
 * container ID, interface name): the spec's primary key for plugin state.
 */
export function attachmentName(network: string, containerId: string, ifname: string): string {
  return `cni-${createHash('sha256').update(`${network}\0${containerId}\0${ifname}`).digest('hex').slice(0, 40)}`;
}

/** A key in the convention's camelCase or in Go's field-name case. */
function field(o: Json, key: string): unknown {
  return o[key] ?? o[key[0]!.toUpperCase() + key.slice(1)];
}

function port(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) throw invalid(`${where} must be a port from 1 to 65535, got ${JSON.stringify(v)}`);
  return v;
}

/** One mapping; `range` (as podman's) maps that many consecutive ports one to one. */
function portBindings(m: unknown, i: number): PortBinding[] {
  const where = `runtimeConfig.portMappings[${i}]`;
  if (typeof m !== 'object' || m === null) throw invalid(`${where} must be an object`);
  const o = m as Json;
  const hostPort = port(field(o, 'hostPort'), `${where}.hostPort`);
  const containerPort = port(field(o, 'containerPort'), `${where}.containerPort`);
  const protoText = field(o, 'protocol');
  const protocol = protoText === undefined || protoText === '' ? 'tcp' : typeof protoText === 'string' ? protoText.toLowerCase() : '';
  if (!(PROTOCOLS as readonly string[]).includes(protocol))
    throw invalid(`${where}.protocol must be tcp, udp or sctp, got ${JSON.stringify(protoText)}`);
  const hostIpText = field(o, 'hostIP') ?? o.hostIp;
  if (hostIpText !== undefined && typeof hostIpText !== 'string') throw invalid(`${where}.hostIP must be an address string`);
  // "", 0.0.0.0 and :: all mean every local address (Docker's 0.0.0.0 and ::).
  const hostIp = hostIpText === undefined || hostIpText === '' || hostIpText === '0.0.0.0' || hostIpText === '::'
    ? undefined
    : asConfigError(() => canonicalAddress(hostIpText, `${where}.hostIP`));
  const range = o.range ?? 1;
  if (typeof range !== 'number' || !Number.isInteger(range) || range < 1 || hostPort + range - 1 > 65535 || containerPort + range - 1 > 65535)
    throw invalid(`${where}.range must be a count of ports that stays within 65535, got ${JSON.stringify(range)}`);
  return Array.from({ length: range }, (_, k) => ({
    protocol: protocol as PortProtocol,
    containerPort: containerPort + k,
    hostPort: { kind: 'fixed' as const, port: hostPort + k },
    ...(hostIp !== undefined ? { hostIp } : {}),
  }));
}

/** Static addresses, one per family, each inside the network's subnet of its family (a prefix, if given, must be the subnet's). */
function staticAddresses(list: string[], where: string, net: NetworkSpec): { ipv4?: string; ipv6?: string } {
  const out: { ipv4?: string; ipv6?: string } = {};
  for (const text of list) {
    const slash = text.indexOf('/');
    const addr = asConfigError(() => parseAddress(slash < 0 ? text : text.slice(0, slash), where));
    const key = addr.family === 4 ? 'ipv4' : 'ipv6';
    const subnet = net[key]?.subnet;
    if (!subnet) throw invalid(`${where}: ${text} is IPv${addr.family} but network '${net.name}' has no IPv${addr.family} subnet`);
    const p = parsePrefix(subnet);
    if (!contains(p, addr)) throw invalid(`${where}: ${text} is not inside the network's subnet ${subnet}`);
    if (slash >= 0 && Number(text.slice(slash + 1)) !== p.prefixLength)
      throw invalid(`${where}: ${text} has a prefix other than the subnet's /${p.prefixLength}`);
    if (out[key]) throw invalid(`${where}: two IPv${addr.family} addresses (${out[key]}, ${text}); netplumb gives one per family`);
    out[key] = canonicalAddress(slash < 0 ? text : text.slice(0, slash));
  }
  return out;
}

function runtimeConfig(raw: Json): Json {
  const rc = raw.runtimeConfig;
  if (rc === undefined) return {};
  if (typeof rc !== 'object' || rc === null || Array.isArray(rc)) throw invalid('runtimeConfig must be an object');
  return rc as Json;
}

function strings(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`${where} must be a list of strings`);
  return v as string[];
}

export function attachmentSpec(raw: Json, net: NetworkSpec, args: CniArgs): AttachmentSpec {
  const rc = runtimeConfig(raw);
  const mappings = rc.portMappings ?? [];
  if (!Array.isArray(mappings)) throw invalid('runtimeConfig.portMappings must be a list');
  const out: AttachmentSpec = { ports: mappings.flatMap(portBindings) };

  const argsIps = ((raw.args as Json | undefined)?.cni as Json | undefined)?.ips;
  const [ips, where] = rc.ips !== undefined ? [strings(rc.ips, 'runtimeConfig.ips'), 'runtimeConfig.ips']
    : argsIps !== undefined ? [strings(argsIps, 'args.cni.ips'), 'args.cni.ips']
      : [args.ips ?? [], 'CNI_ARGS IP'];
  Object.assign(out, staticAddresses(ips, where, net));

  const mac = rc.mac ?? args.mac;
  if (mac !== undefined) {
    out.mac = asConfigError(() => macAddress(mac, rc.mac !== undefined ? 'runtimeConfig.mac' : 'CNI_ARGS MAC'));
    if ((parseInt(out.mac.slice(0, 2), 16) & 1) === 1) throw invalid(`mac ${out.mac} is a multicast address; an interface needs a unicast one`);
  }

  if (rc.dns !== undefined) {
    const d = rc.dns as Json;
    if (typeof d !== 'object' || d === null) throw invalid('runtimeConfig.dns must be an object');
    const dns: CniDns = {};
    if (d.servers !== undefined) dns.nameservers = strings(d.servers, 'runtimeConfig.dns.servers');
    if (d.searches !== undefined) dns.search = strings(d.searches, 'runtimeConfig.dns.searches');
    if (d.options !== undefined) dns.options = strings(d.options, 'runtimeConfig.dns.options');
    out.dns = dns;
  } else if (net.dns) {
    out.dns = net.dns;
  }
  return out;
}
