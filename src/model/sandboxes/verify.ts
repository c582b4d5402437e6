// What of a sandbox's kernel side is missing, as the kernel reports it: the
// host end of each endpoint (present, up, on its bridge), the interface in the
// sandbox's namespace with its addresses and routes, and the published
// ports' map elements. Read-only; a CNI CHECK and reconcile-minded callers
// use it to say exactly what is gone.
import type { Address } from '../../addon/wire/addr.js';
import type { Link } from '../../addon/wire/link.js';
import type { Route } from '../../addon/wire/route.js';
import { NotFoundError } from '../../core/errors.js';
import { Netns } from '../../netns.js';
import { Nftables } from '../../nft/nftables.js';
import { addrCalls } from '../../rtnl/addr.js';
import { linkCalls } from '../../rtnl/link.js';
import { routeCalls } from '../../rtnl/route.js';
import type { ModelContext } from '../context.js';
import { FIREWALL_TABLE, readFirewall, type PortMapping } from '../firewall/index.js';
import { portMappings } from '../firewall/view.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../state/records.js';

async function linkOf(ns: Netns, name: string): Promise<Link | undefined> {
  try {
    const [l] = (await ns.exec([linkCalls.get(name)])) as [Link];
    return l;
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

const sameMapping = (a: PortMapping, b: PortMapping): boolean =>
  a.endpoint === b.endpoint && a.protocol === b.protocol && a.hostPort === b.hostPort && a.hostIp === b.hostIp &&
  a.containerIp === b.containerIp && a.containerPort === b.containerPort;

function describeMapping(p: PortMapping): string {
  return `${p.protocol} ${p.hostIp ?? '*'}:${p.hostPort} → ${p.containerIp}:${p.containerPort}`;
}

/** The routes an endpoint put in the sandbox, as [family, destination, gateway]. */
function expectedRoutes(e: EndpointRecord, n: NetworkRecord): [4 | 6, string, string | undefined][] {
  const out: [4 | 6, string, string | undefined][] = [];
  if (e.gatewayRoute) {
    out.push([4, 'default', n.ipv4.gateway]);
    if (e.ipv6 && n.ipv6) out.push([6, 'default', n.ipv6.gateway]);
  }
  for (const r of e.routes ?? []) {
    const v6 = r.destination.includes(':');
    const dst = r.destination === '0.0.0.0/0' || r.destination === '::/0' ? 'default' : r.destination;
    out.push([v6 ? 6 : 4, dst, r.gateway ?? (v6 ? n.ipv6?.gateway : n.ipv4.gateway)]);
  }
  return out;
}

async function verifyInside(ns: Netns, e: EndpointRecord, n: NetworkRecord, where: string): Promise<string[]> {
  const problems: string[] = [];
  const link = await linkOf(ns, e.ifname);
  if (!link) return [`interface ${e.ifname} is missing from ${where}`];
  if (!link.up) problems.push(`interface ${e.ifname} in ${where} is down`);
  const [addrs, routes] = (await ns.exec([addrCalls.list({ index: link.index }), routeCalls.list({ table: 'main' })])) as [Address[], Route[]];
  const want = [`${e.ipv4}/${n.ipv4.subnet.split('/')[1]}`, ...(e.ipv6 && n.ipv6 ? [`${e.ipv6}/${n.ipv6.subnet.split('/')[1]}`] : [])];
  for (const a of want) if (!addrs.some((x) => x.cidr === a)) problems.push(`address ${a} is missing from ${e.ifname} in ${where}`);
  for (const [family, dst, gw] of expectedRoutes(e, n)) {
    const found = routes.some((r) => r.family === family && r.destination === dst && r.index === link.index && (gw === undefined || r.gateway === gw));
    if (!found) problems.push(`route ${dst}${gw ? ` via ${gw}` : ''} dev ${e.ifname} is missing from ${where}`);
  }
  return problems;
}

/**
 * Every way the kernel differs from the sandbox's record, in words (empty
 * when nothing is missing). Only looks; changes nothing.
 */
export async function verifySandbox(ctx: ModelContext, s: SandboxRecord, networks: readonly NetworkRecord[]): Promise<string[]> {
  const byId = new Map(networks.map((n) => [n.id, n]));
  const problems: string[] = [];
  const bridges = new Map<string, number | undefined>();
  for (const e of s.endpoints) {
    const n = byId.get(e.networkId);
    if (!n) {
      problems.push(`network ${e.networkId} of ${e.ifname} no longer exists`);
      continue;
    }
    const host = await linkOf(ctx.host, e.hostIfname);
    if (!bridges.has(n.bridge)) bridges.set(n.bridge, (await linkOf(ctx.host, n.bridge))?.index);
    const bridge = bridges.get(n.bridge);
    if (bridge === undefined) problems.push(`bridge ${n.bridge} of network '${n.name}' is missing`);
    if (!host) problems.push(`veth ${e.hostIfname} (the host end of ${e.ifname}) is missing`);
    else {
      if (!host.up) problems.push(`veth ${e.hostIfname} (the host end of ${e.ifname}) is down`);
      if (bridge !== undefined && host.master !== bridge) problems.push(`veth ${e.hostIfname} is not a port of bridge ${n.bridge}`);
    }
  }
  if (s.netns.kind !== 'host') {
    let ns: Netns | undefined;
    try {
      ns = await Netns.open({ path: s.netns.path });
    } catch {
      problems.push(`namespace ${s.netns.path} is gone`);
    }
    if (ns) {
      try {
        for (const e of s.endpoints) {
          const n = byId.get(e.networkId);
          if (n) problems.push(...(await verifyInside(ns, e, n, s.netns.path)));
        }
      } finally {
        ns.close();
      }
    }
  }
  const wanted = s.endpoints.filter((e) => byId.has(e.networkId)).flatMap((e) => portMappings(e, ctx.state.owner));
  if (wanted.length > 0) {
    const ruleset = await new Nftables(ctx.host).list({ family: 'inet', table: FIREWALL_TABLE }).catch((e: unknown) => {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    });
    const have = ruleset ? readFirewall(ruleset).ports : [];
    for (const p of wanted) if (!have.some((h) => sameMapping(h, p))) problems.push(`port element ${describeMapping(p)} is missing from table inet ${FIREWALL_TABLE}`);
  }
  return problems;
}
