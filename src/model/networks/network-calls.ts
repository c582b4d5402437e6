// The kernel side of a network: its bridge with the gateway address, IP
// forwarding, and its firewall rules, as calls for one plan.
import { addrCalls } from '../../rtnl/addr.js';
import { linkCalls } from '../../rtnl/link.js';
import type { Call } from '../../addon/native.js';
import { nftCalls } from '../../nft/nftables.js';
import { sysctlCalls } from '../../rtnl/sysctl.js';
import { baseChanges, FIREWALL_TABLE, networkChanges, removeNetworkChanges } from '../firewall/index.js';
import type { Change } from '../../addon/wire/nft.js';
import { sharedBaseChanges } from '../firewall/setup.js';
import { firewallNetwork } from '../firewall/view.js';
import { macFromIPv4 } from '../../addressing/mac.js';
import { bridgeAlias } from '../state/names.js';
import type { NetworkRecord } from '../state/records.js';
import { isStacked } from './drivers/index.js';
import { stackedNetworkCalls, stackedRemovalCalls } from './drivers/stacked.js';
import { vxlanDeviceCalls, vxlanRemovalCalls } from './drivers/overlay/device.js';

function prefixOf(subnet: string): string {
  return subnet.slice(subnet.indexOf('/'));
}

export interface FirewallPlacement {
  /** No network with a firewall exists yet, so the table is made with this one (and goes with the last). */
  first: boolean;
  /** The engine owns the table (see firewall-setup.ts). */
  owner: boolean;
}

export function createNetworkCalls(n: NetworkRecord, fw: FirewallPlacement): Call[] {
  if (isStacked(n)) return stackedNetworkCalls(n);
  const calls: Call[] = [
    linkCalls.addBridge({
      name: n.bridge,
      up: true,
      alias: bridgeAlias(n.id),
      // Fixed, so the gateway's MAC does not follow the lowest port's (and turn
      // to zeros when the last port leaves), leaving sandboxes with stale ARP entries.
      address: macFromIPv4(n.ipv4.gateway),
      ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
      // A network without IPv6 does not pay for IPv6 neighbour discovery on its bridge.
      ...(n.ipv6 ? {} : { addrGenMode: 'none' as const }),
    }),
    addrCalls.add({ dev: n.bridge, address: `${n.ipv4.gateway}${prefixOf(n.ipv4.subnet)}` }),
  ];
  if (n.ipv6) calls.push(addrCalls.add({ dev: n.bridge, address: `${n.ipv6.gateway}${prefixOf(n.ipv6.subnet)}`, flags: { nodad: true } }));
  // IPv6 off on the bridge of an IPv4 network: no link-local address, no multicast routes, no MLD.
  else calls.push(sysctlCalls.set(`net/ipv6/conf/${n.bridge}/disable_ipv6`, 1));
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
  const base = fw.first ? (fw.owner ? baseChanges({ owned: true }) : sharedBaseChanges()) : [];
  calls.push(nftCalls.apply([...base, ...networkChanges(firewallNetwork(n))]));
  return calls;
}

/**
 * Removes the bridge and the network's rules. ip_forward stays on: other
 * networks, or the host's own configuration, may rely on it.
 */
export function removeNetworkCalls(n: NetworkRecord, last: boolean): Call[] {
  if (isStacked(n)) return stackedRemovalCalls(n);
  // With the last network the table goes too: the ruleset is then as it was before the first.
  const changes: Change[] = last
    ? [{ op: 'delete', kind: 'table', family: 'inet', name: FIREWALL_TABLE } as Change]
    : removeNetworkChanges(firewallNetwork(n));
  return [nftCalls.apply(changes), linkCalls.delete(n.bridge, { ifExists: true }), ...vxlanRemovalCalls(n)];
}
