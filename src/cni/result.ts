// ADD's result: the bridge, the host end and the container's interface (with
// `sandbox`), the addresses with their gateway and interface index, the
// routes put in the container and DNS settings, in the shape of the request's
// version. When netplumb runs after another plugin, its part is appended to
// the previous result (indexes shifted), as the spec asks of a chained plugin.
import { CniError } from '../core/errors.js';
import type { NetworkRecord, SandboxInfo } from '../model/index.js';
import type { AttachmentSpec } from './attachment.js';
import type { Json, NetworkSpec } from './config.js';
import { bridgeMac } from './network.js';
import { CODE, compareVersions, type CniInterface, type CniIpConfig, type CniResult, type CniRoute, type CniVersion } from './spec.js';

const invalid = (details: string): CniError => new CniError(CODE.invalidConfig, 'invalid network config', details);

/** prevResult as given, checked for the fields a chained plugin relies on. */
export function prevResultOf(raw: Json): CniResult | undefined {
  const p = raw.prevResult;
  if (p === undefined) return undefined;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw invalid('prevResult must be a result object');
  const r = p as Json;
  for (const k of ['interfaces', 'ips', 'routes'])
    if (r[k] !== undefined && !Array.isArray(r[k])) throw invalid(`prevResult.${k} must be a list`);
  return r as unknown as CniResult;
}

export function attachmentResult(
  version: CniVersion,
  info: SandboxInfo,
  n: NetworkRecord,
  net: NetworkSpec,
  want: AttachmentSpec,
  netns: string,
): CniResult {
  const e = info.networks[0]!;
  const withMtu = compareVersions(version, '1.1.0') >= 0 && n.mtu !== undefined;
  const mtu = withMtu ? { mtu: n.mtu as number } : {};
  const interfaces: CniInterface[] = [
    { name: n.bridge, mac: bridgeMac(n), ...mtu },
    { name: e.hostIfname, ...mtu },
    { name: e.ifname, mac: e.mac, ...mtu, sandbox: netns },
  ];
  const ips: CniIpConfig[] = [{ address: `${e.ipv4}/${n.ipv4.subnet.split('/')[1]}`, gateway: n.ipv4.gateway, interface: 2 }];
  if (e.ipv6 && n.ipv6) ips.push({ address: `${e.ipv6}/${n.ipv6.subnet.split('/')[1]}`, gateway: n.ipv6.gateway, interface: 2 });
  const routes: CniRoute[] = [];
  if (net.defaultRoute) {
    routes.push({ dst: '0.0.0.0/0', gw: n.ipv4.gateway });
    if (n.ipv6) routes.push({ dst: '::/0', gw: n.ipv6.gateway });
  }
  for (const r of net.routes) routes.push({ dst: r.dst, gw: r.gw ?? (r.dst.includes(':') ? (n.ipv6?.gateway as string) : n.ipv4.gateway) });
  const out: CniResult = { cniVersion: version, interfaces, ips, routes };
  if (want.dns) out.dns = want.dns;
  return out;
}

/** This plugin's result after a previous plugin's: lists appended, interface indexes shifted, DNS kept unless ours is set. */
export function chained(prev: CniResult | undefined, mine: CniResult): CniResult {
  if (!prev) return mine;
  const shift = prev.interfaces?.length ?? 0;
  const out: CniResult = {
    cniVersion: mine.cniVersion,
    interfaces: [...(prev.interfaces ?? []), ...(mine.interfaces ?? [])],
    ips: [...(prev.ips ?? []), ...(mine.ips ?? []).map((ip) => ({ ...ip, ...(ip.interface !== undefined ? { interface: ip.interface + shift } : {}) }))],
    routes: [...(prev.routes ?? []), ...(mine.routes ?? [])],
  };
  const dns = mine.dns ?? prev.dns;
  if (dns) out.dns = dns;
  return out;
}
