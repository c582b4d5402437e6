// The kernel side of a network: its bridge with the gateway address, IP
// forwarding, and its firewall rules, as calls for one plan.
import { addrCalls } from '../../rtnl/addr.js';
import { linkCalls } from '../../rtnl/link.js';
import type { Call } from '../../addon/native.js';
import { nftCalls } from '../../nft/nftables.js';
import { sysctlCalls } from '../../rtnl/sysctl.js';
import type { Change } from '../../addon/wire/nft.js';
import { networkChanges, removeNetworkChanges } from '../firewall/index.js';
import { firewallNetwork } from '../firewall/view.js';
import { macFromIPv4 } from '../../addressing/mac.js';
import { bridgeAlias } from '../state/names.js';
import type { Owner } from '../state/owner.js';
import type { NetworkRecord } from '../state/records.js';
import { isStacked } from './drivers/index.js';
import { stackedNetworkCalls, stackedRemovalCalls } from './drivers/stacked.js';
import { vxlanDeviceCalls, vxlanRemovalCalls } from './drivers/overlay/device.js';

function prefixOf(subnet: string): string {
  return subnet.slice(subnet.indexOf('/'));
}

/**
 * Below 1280 bytes the kernel keeps no IPv6 state on a link at all (IPv6's
 * minimum MTU), and refuses the IPv6 settings (EAFNOSUPPORT): such a link
 * has no IPv6 to turn off.
 */
export const IPV6_MIN_MTU = 1280;

/** Whether links of the network get IPv6 turned off (addrGenMode none, disable_ipv6). */
export function quietIpv6(n: Pick<NetworkRecord, 'ipv6' | 'mtu'>): boolean {
  return !n.ipv6 && !(n.mtu !== undefined && n.mtu < IPV6_MIN_MTU);
}

/** The bridge alone (with its mark: the owner's device group, set by the create request), as reconcile makes it again. */
export function bridgeCalls(n: NetworkRecord, owner: Owner): Call[] {
  const calls: Call[] = [
    linkCalls.addBridge({
      name: n.bridge,
      up: true,
      alias: bridgeAlias(n.id),
      deviceGroup: owner.id,
      // Fixed, so the gateway's MAC does not follow the lowest port's (and turn
      // to zeros when the last port leaves), leaving sandboxes with stale ARP entries.
      address: macFromIPv4(n.ipv4.gateway),
      ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
      // A network without IPv6 does not pay for IPv6 neighbour discovery on its bridge.
      ...(quietIpv6(n) ? { addrGenMode: 'none' as const } : {}),
    }),
    addrCalls.add({ dev: n.bridge, address: `${n.ipv4.gateway}${prefixOf(n.ipv4.subnet)}` }),
  ];
  if (n.ipv6) calls.push(addrCalls.add({ dev: n.bridge, address: `${n.ipv6.gateway}${prefixOf(n.ipv6.subnet)}`, flags: { nodad: true } }));
  // IPv6 off on the bridge of an IPv4 network: no link-local address, no multicast routes, no MLD.
  else if (quietIpv6(n)) calls.push(sysctlCalls.set(`net/ipv6/conf/${n.bridge}/disable_ipv6`, 1));
  // The host's connections to 127.0.0.1 DNATed into the bridge keep their
  // loopback source until postrouting masquerades it, and the replies come
  // back addressed to 127.0.0.1 after un-NAT: without route_localnet the
  // kernel drops both as martian. Dies with the bridge.
  calls.push(sysctlCalls.set(`net/ipv4/conf/${n.bridge}/route_localnet`, 1));
  // An internal overlay still forwards between its bridge and its VXLAN device.
  if (!n.internal || n.overlay) {
    calls.push(sysctlCalls.set('net.ipv4.ip_forward', 1));
    if (n.ipv6) calls.push(sysctlCalls.set('net.ipv6.conf.all.forwarding', 1));
  }
  calls.push(...vxlanDeviceCalls(n));
  return calls;
}

/**
 * The bridge (and an overlay's VXLAN device) and the network's firewall part in one plan;
 * a macvlan or ipvlan network has only its parent side. `join` is what
 * the table needs first (see joinTable); `genid` makes the kernel refuse the
 * firewall change if the ruleset moved since `join` was computed.
 */
export function createNetworkCalls(n: NetworkRecord, o: { owner: Owner; join: Change[]; genid?: number }): Call[] {
  if (isStacked(n)) return stackedNetworkCalls(n);
  return [
    ...bridgeCalls(n, o.owner),
    nftCalls.apply([...o.join, ...networkChanges(firewallNetwork(n, o.owner))], o.genid !== undefined ? { genid: o.genid } : {}),
  ];
}

/** The firewall changes that take a network out, before leaveNetwork fits them to the ruleset. */
export function networkRemovalChanges(n: NetworkRecord): Change[] {
  return removeNetworkChanges(firewallNetwork(n));
}

/**
 * Removes the network's firewall part (`changes`, from leaveNetwork) and its
 * bridge — only a bridge in the owner's device group: the name may have been
 * taken by someone else's link since ours went. ip_forward stays on: other
 * networks, or the host's own configuration, may rely on it.
 */
export function removeNetworkCalls(n: NetworkRecord, changes: Change[], ownerId: number, genid?: number): Call[] {
  if (isStacked(n)) return stackedRemovalCalls(n);
  return [
    ...(changes.length > 0 ? [nftCalls.apply(changes, genid !== undefined ? { genid } : {})] : []),
    linkCalls.delete(n.bridge, { ifExists: true, deviceGroup: ownerId }),
    ...vxlanRemovalCalls(n),
  ];
}
