// A live sandbox's endpoints brought back to what their records say: an
// endpoint whose veth pair is gone is made again in the sandbox's namespace;
// one whose pair is there gets back what a crash or an outsider took (its
// host end up, on its bridge, with hairpin; its namespace end up with its
// address and default route). The namespace is the one the record names:
// opened with its cookie, so another namespace at the same path is never changed.
import type { NativeNetns } from '../../addon/native.js';
import type { Address } from '../../addon/wire/addr.js';
import type { Link } from '../../addon/wire/link.js';
import type { Route } from '../../addon/wire/route.js';
import type { Call } from '../../addon/native.js';
import { KernelError, NotFoundError } from '../../core/errors.js';
import { Netns } from '../../netns.js';
import { addrCalls } from '../../rtnl/addr.js';
import { linkCalls } from '../../rtnl/link.js';
import { routeCalls } from '../../rtnl/route.js';
import type { ModelContext } from '../context.js';
import { addEndpointCalls } from '../sandboxes/endpoint-calls.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import type { ReconcileReport } from './report.js';

function prefixLength(subnet: string): number {
  return Number(subnet.slice(subnet.indexOf('/') + 1));
}

/** The fixes for one endpoint whose pair exists: host-side calls (plan namespace) and sandbox-side calls. */
function endpointFixes(
  e: EndpointRecord,
  n: NetworkRecord,
  host: { link: Link; bridge: Link | undefined },
  inside: { links: Link[]; addresses: Address[]; routes: Route[] },
): { hostCalls: Call[]; nsCalls: Call[]; links: boolean; addresses: boolean } {
  const hostCalls: Call[] = [];
  const nsCalls: Call[] = [];
  const h = host.link;
  if (host.bridge && h.master !== host.bridge.index) hostCalls.push(linkCalls.set(e.hostIfname, { master: n.bridge }));
  if (host.bridge && (h.master !== host.bridge.index || h.bridgePort?.hairpin === false))
    hostCalls.push(linkCalls.setBridgePort(e.hostIfname, { hairpin: true, ...(n.icc ? {} : { isolated: true }) }));
  if (!h.up) hostCalls.push(linkCalls.set(e.hostIfname, { up: true }));
  const mine = inside.links.find((l) => l.name === e.ifname);
  if (mine && !mine.up) nsCalls.push(linkCalls.set(e.ifname, { up: true }));
  const links = hostCalls.length + nsCalls.length > 0;
  const has = (a: string): boolean => inside.addresses.some((x) => x.index === mine?.index && x.address === a);
  if (mine && !has(e.ipv4)) nsCalls.push(addrCalls.add({ dev: e.ifname, address: `${e.ipv4}/${prefixLength(n.ipv4.subnet)}` }));
  if (mine && e.ipv6 && n.ipv6 && !has(e.ipv6))
    nsCalls.push(addrCalls.add({ dev: e.ifname, address: `${e.ipv6}/${prefixLength(n.ipv6.subnet)}`, flags: { nodad: true } }));
  if (mine && e.gatewayRoute) {
    const hasDefault = (gw: string): boolean => inside.routes.some((r) => r.destination === 'default' && r.gateway === gw && r.table === 254);
    if (!hasDefault(n.ipv4.gateway)) nsCalls.push(routeCalls.add({ destination: 'default', gateway: n.ipv4.gateway }));
    if (e.ipv6 && n.ipv6 && !hasDefault(n.ipv6.gateway)) nsCalls.push(routeCalls.add({ destination: 'default', gateway: n.ipv6.gateway }));
  }
  return { hostCalls, nsCalls, links, addresses: nsCalls.length > (mine && !mine.up ? 1 : 0) };
}

/**
 * Repairs the endpoints of one live sandbox; `ns` is its namespace (opened
 * with its cookie), `hostLinks` the host's links by name, `networks` the live
 * networks by id.
 */
export async function repairEndpoints(
  ctx: ModelContext,
  s: SandboxRecord,
  ns: Netns,
  hostLinks: ReadonlyMap<string, Link>,
  networks: ReadonlyMap<string, NetworkRecord>,
  report: ReconcileReport,
): Promise<void> {
  // macvlan/ipvlan endpoints have no host end to repair.
  const endpoints = s.endpoints.filter((e) => e.hostIfname !== '' && networks.has(e.networkId));
  if (endpoints.length === 0) return;
  const missing = endpoints.filter((e) => !hostLinks.has(e.hostIfname));
  if (missing.length > 0) {
    const plan = ctx.host.plan();
    for (const e of missing) {
      plan.add(linkCalls.delete(e.ifname, { ifExists: true }), ns.handle);
      addEndpointCalls(plan, ns.handle as NativeNetns, { ...e, ports: [] }, networks.get(e.networkId) as NetworkRecord, ctx.state.owner);
    }
    await plan.run();
    report.restoredEndpoints.push(...missing.map((e) => `${s.name}/${e.ifname}`));
  }
  const present = endpoints.filter((e) => hostLinks.has(e.hostIfname));
  if (present.length === 0) return;
  const [links, addresses, routes] = (await ns.exec([linkCalls.list(), addrCalls.list(), routeCalls.list({ table: 'main' })])) as [Link[], Address[], Route[]];
  const plan = ctx.host.plan();
  for (const e of present) {
    const n = networks.get(e.networkId) as NetworkRecord;
    const fix = endpointFixes(e, n, { link: hostLinks.get(e.hostIfname) as Link, bridge: hostLinks.get(n.bridge) }, { links, addresses, routes });
    for (const c of fix.hostCalls) plan.add(c);
    for (const c of fix.nsCalls) plan.add(c, ns.handle);
    if (fix.links) report.restoredLinks.push(`${s.name}/${e.ifname}`);
    if (fix.addresses) report.restoredAddresses.push(`${s.name}/${e.ifname}`);
  }
  if (plan.calls.length > 0) await plan.run();
}

/**
 * Opens a sandbox's namespace as recorded; undefined when it is gone: no
 * file at its path, a file that is no namespace, or another namespace (its
 * cookie differs: the path or pid was taken again). Other failures throw.
 */
export async function openRecorded(s: SandboxRecord): Promise<Netns | undefined> {
  try {
    return await Netns.open({ path: s.netns.path }, s.netns.cookie !== undefined ? { cookie: s.netns.cookie } : {});
  } catch (e) {
    if (e instanceof NotFoundError || (e instanceof KernelError && (e.code === 'EINVAL' || e.code === 'ENOTTY'))) return undefined;
    throw e;
  }
}
