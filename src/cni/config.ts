// The network configuration on stdin, decoded and checked before anything
// touches the kernel. Keys mean what the bridge plugin's mean where both have
// them (bridge, isGateway, isDefaultGateway, ipMasq, hairpinMode, mtu); the
// network is top-level `subnet`/`gateway` (a string, or one per family) or
// host-local's `ipam` (`subnet`/`gateway`, `ranges`, `routes`). Unknown keys
// are accepted, as the spec asks. Defaults are netplumb's (Docker's): the
// gateway on the bridge, masquerade, hairpin, a default route per family.
import { CniError, ValidationError } from '../core/errors.js';
import { canonicalAddress, canonicalPrefix, contains, parseAddress, parsePrefix } from '../addressing/ipnet.js';
import { integer, interfaceName } from '../core/validate.js';
import { CODE, SINCE_1_1, isSupportedVersion, SUPPORTED_VERSIONS, type CniCommand, type CniDns, type CniVersion } from './spec.js';

export type Json = Record<string, unknown>;

export interface SubnetSpec {
  subnet: string;
  gateway?: string;
}

export interface RouteSpec {
  dst: string;
  gw?: string;
}

/** What the config says the network is. */
export interface NetworkSpec {
  /** The CNI network's name; netplumb's network has the same name. */
  name: string;
  bridge?: string;
  mtu?: number;
  masquerade: boolean;
  ipv4: SubnetSpec;
  ipv6?: SubnetSpec;
  /** A default route via the gateway, per family. */
  defaultRoute: boolean;
  /** More routes in the container (`routes` or `ipam.routes`, without the default ones). */
  routes: RouteSpec[];
  /** Passed through to the result. */
  dns?: CniDns;
}

const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const invalid = (details: string): CniError => new CniError(CODE.invalidConfig, 'invalid network config', details);
const unsupported = (key: string, value: unknown, why: string): CniError =>
  new CniError(CODE.unsupportedField, 'unsupported field in network config', `${key}=${JSON.stringify(value)}: ${why}`);

/** Turns the validators' ValidationError into code 7 with the field named. */
export function asConfigError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ValidationError) throw invalid(e.message);
    throw e;
  }
}

/** stdin as a JSON object (code 6 when it is not one). */
export function decodeJson(text: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CniError(CODE.undecodable, 'failed to decode the network config', `stdin is not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new CniError(CODE.undecodable, 'failed to decode the network config', 'stdin must be a JSON object');
  return v as Json;
}

/** The request's cniVersion: one netplumb speaks (code 1 otherwise), and 1.1.0 or later for GC and STATUS. */
export function requestVersion(raw: Json, command: CniCommand): CniVersion {
  const v = raw.cniVersion;
  if (typeof v !== 'string' || v === '') throw invalid('cniVersion must be a version string such as "1.0.0"');
  if (!isSupportedVersion(v))
    throw new CniError(CODE.incompatibleVersion, 'incompatible CNI version', `netplumb supports CNI ${SUPPORTED_VERSIONS.join(' and ')}, not ${v}`);
  if (SINCE_1_1.has(command) && v === '1.0.0')
    throw new CniError(CODE.incompatibleVersion, 'incompatible CNI version', `${command} is part of CNI 1.1.0; the config says ${v}`);
  return v;
}

export function networkName(raw: Json): string {
  const name = raw.name;
  if (typeof name !== 'string' || !NETWORK_NAME.test(name) || name.length > 200)
    throw invalid(`name '${String(name)}' must start with a letter or digit followed by letters, digits, '_', '.' or '-' (at most 200)`);
  return name;
}

/** netplumb's state root for this network (`stateDir`), when the config names one. */
export function stateDirOf(raw: Json): string | undefined {
  const d = raw.stateDir;
  if (d === undefined) return undefined;
  if (typeof d !== 'string' || !d.startsWith('/')) throw invalid(`stateDir must be an absolute path, got ${JSON.stringify(d)}`);
  return d;
}

function objectAt(raw: Json, key: string): Json | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`${key} must be an object`);
  return v as Json;
}

function boolAt(raw: Json, key: string): boolean | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalid(`${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function stringList(v: unknown, key: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`${key} must be a list of strings`);
  return v as string[];
}

function oneOrMany(v: unknown, key: string): string[] {
  return typeof v === 'string' ? [v] : stringList(v, key);
}

/** Subnets with their gateways, at most one per family. */
interface SubnetEntry {
  subnet: unknown;
  gateway?: unknown;
  /** The keys they came from, for messages. */
  subnetKey: string;
  gatewayKey: string;
}

function subnetsByFamily(entries: SubnetEntry[]): { ipv4?: SubnetSpec; ipv6?: SubnetSpec } {
  const out: { ipv4?: SubnetSpec; ipv6?: SubnetSpec } = {};
  for (const e of entries) {
    const p = asConfigError(() => parsePrefix(e.subnet, e.subnetKey));
    const key = p.family === 4 ? 'ipv4' : 'ipv6';
    if (out[key])
      throw unsupported(e.subnetKey, e.subnet, `netplumb networks have one IPv${p.family} subnet (${out[key].subnet} is already given)`);
    const spec: SubnetSpec = { subnet: asConfigError(() => canonicalPrefix(e.subnet as string, e.subnetKey)) };
    if (e.gateway !== undefined) {
      const g = asConfigError(() => parseAddress(e.gateway, e.gatewayKey));
      if (g.family !== p.family || !contains(p, g)) throw invalid(`${e.gatewayKey} ${String(e.gateway)} is not inside ${spec.subnet}`);
      spec.gateway = canonicalAddress(e.gateway as string);
    }
    out[key] = spec;
  }
  return out;
}

/** host-local's `ranges`: a list of range sets (one address each), each a list of ranges. */
function rangeEntries(ranges: unknown): SubnetEntry[] {
  if (!Array.isArray(ranges) || ranges.length === 0) throw invalid('ipam.ranges must be a non-empty list of range sets');
  return ranges.map((set, i) => {
    if (!Array.isArray(set) || set.length === 0) throw invalid(`ipam.ranges[${i}] must be a non-empty list of ranges`);
    if (set.length > 1)
      throw unsupported(`ipam.ranges[${i}]`, set, 'netplumb allocates from one subnet per family; give one range per set');
    const r = set[0] as Json;
    if (typeof r !== 'object' || r === null) throw invalid(`ipam.ranges[${i}][0] must be an object`);
    for (const k of ['rangeStart', 'rangeEnd'])
      if (r[k] !== undefined) throw unsupported(`ipam.ranges[${i}][0].${k}`, r[k], 'netplumb allocates from the whole subnet');
    return { subnet: r.subnet, gateway: r.gateway, subnetKey: `ipam.ranges[${i}][0].subnet`, gatewayKey: `ipam.ranges[${i}][0].gateway` };
  });
}

function routeList(v: unknown, key: string): RouteSpec[] {
  if (!Array.isArray(v)) throw invalid(`${key} must be a list of {"dst": CIDR, "gw": address}`);
  return v.map((r, i) => {
    const o = r as Json;
    if (typeof o !== 'object' || o === null) throw invalid(`${key}[${i}] must be an object`);
    const dst = asConfigError(() => parsePrefix(o.dst, `${key}[${i}].dst`));
    const route: RouteSpec = { dst: asConfigError(() => canonicalPrefix(o.dst as string, `${key}[${i}].dst`)) };
    if (o.gw !== undefined) {
      const gw = asConfigError(() => parseAddress(o.gw, `${key}[${i}].gw`));
      if (gw.family !== dst.family) throw invalid(`${key}[${i}]: gw ${String(o.gw)} is not of the family of ${route.dst}`);
      route.gw = canonicalAddress(o.gw as string);
    }
    return route;
  });
}

function dnsOf(v: Json | undefined): CniDns | undefined {
  if (!v) return undefined;
  const dns: CniDns = {};
  if (v.nameservers !== undefined) dns.nameservers = stringList(v.nameservers, 'dns.nameservers').map((a) => asConfigError(() => canonicalAddress(a, 'dns.nameservers')));
  if (v.domain !== undefined) {
    if (typeof v.domain !== 'string') throw invalid('dns.domain must be a string');
    dns.domain = v.domain;
  }
  if (v.search !== undefined) dns.search = stringList(v.search, 'dns.search');
  if (v.options !== undefined) dns.options = stringList(v.options, 'dns.options');
  return Object.keys(dns).length > 0 ? dns : undefined;
}

const DEFAULT_DST = new Set(['0.0.0.0/0', '::/0']);

/** The network's subnets as given: top-level `subnet`/`gateway`, host-local's `ipam.subnet`/`ipam.gateway`, or `ipam.ranges`. */
function subnetEntries(raw: Json, ipam: Json | undefined): SubnetEntry[] {
  const given = [raw.subnet !== undefined && 'subnet', ipam?.subnet !== undefined && 'ipam.subnet', ipam?.ranges !== undefined && 'ipam.ranges'].filter(Boolean);
  if (given.length === 0) throw invalid('the network needs a subnet: "subnet": "10.88.0.0/16" (or host-local\'s ipam.ranges)');
  if (given.length > 1) throw invalid(`give the network's subnets once, not as ${given.join(' and ')}`);
  if (ipam?.ranges !== undefined) return rangeEntries(ipam.ranges);
  const where = raw.subnet !== undefined ? '' : 'ipam.';
  const src = raw.subnet !== undefined ? raw : (ipam as Json);
  const gateways = src.gateway === undefined ? [] : oneOrMany(src.gateway, `${where}gateway`);
  const familyOf = (text: string): number => (text.includes(':') ? 6 : 4);
  return oneOrMany(src.subnet, `${where}subnet`).map((subnet) => ({
    subnet,
    // A gateway belongs to the subnet of its family.
    gateway: gateways.find((g) => familyOf(g) === familyOf(subnet)),
    subnetKey: `${where}subnet`,
    gatewayKey: `${where}gateway`,
  }));
}

/** The default route per family unless routes are listed (or isDefaultGateway says otherwise), and the listed ones. */
function routesOf(raw: Json, ipam: Json | undefined, ipv6: boolean): Pick<NetworkSpec, 'defaultRoute' | 'routes'> {
  if (raw.routes !== undefined && ipam?.routes !== undefined) throw invalid('give routes once: routes or ipam.routes');
  const given = raw.routes ?? ipam?.routes;
  const listed = given === undefined ? [] : routeList(given, raw.routes !== undefined ? 'routes' : 'ipam.routes');
  for (const r of listed) if (r.dst.includes(':') && !ipv6) throw invalid(`route ${r.dst} is IPv6 but the network has no IPv6 subnet`);
  const defaultRoute = boolAt(raw, 'isDefaultGateway') ?? given === undefined;
  return { defaultRoute, routes: defaultRoute ? listed.filter((r) => !(DEFAULT_DST.has(r.dst) && r.gw === undefined)) : listed };
}

/** The network the config describes (for ADD, CHECK and STATUS). */
export function networkSpec(raw: Json): NetworkSpec {
  const name = networkName(raw);
  if (raw.type !== undefined && raw.type !== 'netplumb') throw invalid(`type is '${String(raw.type)}'; this plugin is netplumb`);
  if (boolAt(raw, 'isGateway') === false)
    throw unsupported('isGateway', false, 'netplumb networks always have their gateway address on the bridge');
  if (boolAt(raw, 'hairpinMode') === false)
    throw unsupported('hairpinMode', false, 'netplumb sets hairpin on every port so a pod reaches its own published ports');
  if (raw.vlan !== undefined && raw.vlan !== 0) throw unsupported('vlan', raw.vlan, 'netplumb bridges do no VLAN filtering');
  const ipam = objectAt(raw, 'ipam');
  if (ipam?.type !== undefined && ipam.type !== 'host-local' && ipam.type !== 'netplumb')
    throw unsupported('ipam.type', ipam.type, 'netplumb does its own address management: leave ipam.type out, or use "host-local"\'s keys');

  const { ipv4, ipv6 } = subnetsByFamily(subnetEntries(raw, ipam));
  if (!ipv4) throw unsupported('subnet', raw.subnet ?? ipam?.subnet ?? ipam?.ranges, 'netplumb networks need an IPv4 subnet (IPv6 comes beside it)');
  const spec: NetworkSpec = { name, masquerade: boolAt(raw, 'ipMasq') ?? true, ipv4, ...routesOf(raw, ipam, ipv6 !== undefined) };
  if (ipv6) spec.ipv6 = ipv6;
  if (raw.bridge !== undefined) spec.bridge = asConfigError(() => interfaceName(raw.bridge, 'bridge'));
  if (raw.mtu !== undefined) spec.mtu = asConfigError(() => integer(raw.mtu, 'mtu', 68, 65535));
  const dns = dnsOf(objectAt(raw, 'dns'));
  if (dns) spec.dns = dns;
  return spec;
}
