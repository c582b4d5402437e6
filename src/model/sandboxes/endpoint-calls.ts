// The kernel side of an endpoint: a veth pair with the sandbox end created
// directly in the sandbox's namespace under its final name, the host end on
// the network's bridge with hairpin on (so the sandbox reaches its own
// published ports through the host address), the address, the default route
// and the published ports, added to a plan so that all of it is one unit.
import { addrCalls } from '../../rtnl/addr.js';
import { linkCalls } from '../../rtnl/link.js';
import type { NativeNetns } from '../../addon/native.js';
import { nftCalls } from '../../nft/nftables.js';
import type { Plan, PlanRef } from '../../addon/plan.js';
import { routeCalls } from '../../rtnl/route.js';
import { publishChanges, unpublishChanges, type PortMapping } from '../firewall/index.js';
import { portMappings } from '../firewall/view.js';
import { quietIpv6 } from '../networks/network-calls.js';
import type { Owner } from '../state/owner.js';
import type { EndpointRecord, NetworkRecord } from '../state/records.js';
import { isStacked } from '../networks/drivers/index.js';
import { addStackedEndpointCalls } from '../networks/drivers/stacked.js';

function prefixLength(subnet: string): number {
  return Number(subnet.slice(subnet.indexOf('/') + 1));
}

export function addEndpointCalls(plan: Plan, sandbox: NativeNetns | PlanRef, e: EndpointRecord, n: NetworkRecord, owner: Owner): void {
  if (isStacked(n)) return addStackedEndpointCalls(plan, sandbox, e, n);
  vethCalls(plan, sandbox, e, n, owner, true);
  addressCalls(plan, sandbox, e, n, owner);
}

/**
 * The veth pair of an endpoint, on the bridge with hairpin (and isolated
 * without ICC). `up: false` leaves the sandbox end down and without address,
 * so the pair has no carrier and the bridge keeps its port disabled (nothing
 * crosses it, nothing is counted): a warm pool's pair, which
 * activateEndpointCalls finishes. The host end is up either way, as a cold
 * create also brings it up before the sandbox end.
 */
export function vethCalls(
  plan: Plan,
  sandbox: NativeNetns | PlanRef,
  e: Pick<EndpointRecord, 'hostIfname' | 'ifname'> & { mac?: string },
  n: NetworkRecord,
  owner: Owner,
  up: boolean,
): void {
  const addrGenMode = quietIpv6(n) ? ('none' as const) : undefined;
  plan.add(
    linkCalls.addVeth({
      name: e.hostIfname,
      master: n.bridge,
      up: true,
      // The owner's mark, on both ends from the request that makes them.
      deviceGroup: owner.id,
      // The model keeps its own record; reading both ends back would only cost time.
      readBack: false,
      ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
      ...(addrGenMode ? { addrGenMode } : {}),
      peer: { name: e.ifname, netns: sandbox, up, ...(e.mac !== undefined ? { address: e.mac } : {}), deviceGroup: owner.id, ...(addrGenMode ? { addrGenMode } : {}) },
    }),
  );
  // Without br_netfilter, bridged traffic never reaches the forward hook: ICC off then rests on isolated ports.
  plan.add(linkCalls.setBridgePort(e.hostIfname, { hairpin: true, ...(n.icc ? {} : { isolated: true }) }, { readBack: false }));
}

/**
 * A pooled pair made by vethCalls(…, up: false), turned into the endpoint:
 * the sandbox end gets its MAC and comes up (the pair gains its carrier),
 * then addresses, routes and ports. A pooled namespace whose hand-out fails
 * is deleted, pair and all.
 */
export function activateEndpointCalls(plan: Plan, sandbox: NativeNetns, e: EndpointRecord, n: NetworkRecord, owner: Owner): void {
  // Not undoable (one message, nothing read): when a later call fails, the caller deletes the namespace, pair and all.
  plan.add(linkCalls.set(e.ifname, { address: e.mac, up: true, undoable: false }), sandbox);
  addressCalls(plan, sandbox, e, n, owner);
}

/** Address, routes and published ports of an endpoint whose pair is there. */
function addressCalls(plan: Plan, sandbox: NativeNetns | PlanRef, e: EndpointRecord, n: NetworkRecord, owner: Owner): void {
  // The model keeps its own record: nothing is read back.
  plan.add(addrCalls.add({ dev: e.ifname, address: `${e.ipv4}/${prefixLength(n.ipv4.subnet)}`, readBack: false }), sandbox);
  if (e.ipv6 && n.ipv6)
    plan.add(addrCalls.add({ dev: e.ifname, address: `${e.ipv6}/${prefixLength(n.ipv6.subnet)}`, flags: { nodad: true }, readBack: false }), sandbox);
  if (e.gatewayRoute) {
    plan.add(routeCalls.add({ destination: 'default', gateway: n.ipv4.gateway }), sandbox);
    if (e.ipv6 && n.ipv6) plan.add(routeCalls.add({ destination: 'default', gateway: n.ipv6.gateway }), sandbox);
  }
  for (const r of e.routes ?? [])
    plan.add(routeCalls.add({ destination: r.destination, gateway: r.gateway ?? (r.destination.includes(':') ? n.ipv6?.gateway : n.ipv4.gateway) }), sandbox);
  // The rest of an overlay's cluster CIDR is on other hosts, behind this host's gateway (internal overlays have no default route).
  if (n.overlay) plan.add(routeCalls.add({ destination: n.overlay.subnet, gateway: n.ipv4.gateway }), sandbox);
  // The ruleset's generation after it is not used: not read.
  if (e.ports.length > 0) plan.add(nftCalls.apply(publishChanges(portMappings(e, owner)), { readBack: false }));
}

/**
 * The published ports of endpoints, removed in one transaction (nothing when
 * none). Elements are deleted by key: with `only`, just the mappings listed
 * there (see ownedMappings), for records whose elements may never have been
 * made, or may be someone else's by now.
 */
export function unpublishCall(endpoints: readonly EndpointRecord[], only?: readonly PortMapping[]) {
  const mappings = only ?? endpoints.flatMap((e) => portMappings(e));
  return mappings.length > 0 ? nftCalls.apply(unpublishChanges([...mappings]), { readBack: false }) : undefined;
}

/**
 * Removes one endpoint from a namespace that stays (disconnect, or an adopted
 * namespace): deleting the host end takes the pair with it. An endpoint
 * without a host end (macvlan, ipvlan) is deleted inside `sandbox`.
 */
export function removeEndpointCalls(plan: Plan, e: EndpointRecord, sandbox?: NativeNetns | PlanRef, only?: readonly PortMapping[]): void {
  const unpublish = unpublishCall([e], only?.filter((m) => m.endpoint === e.id));
  if (unpublish) plan.add(unpublish);
  if (e.hostIfname !== '') plan.add(linkCalls.delete(e.hostIfname, { ifExists: true }));
  else if (sandbox) plan.add(linkCalls.delete(e.ifname, { ifExists: true }), sandbox);
}
