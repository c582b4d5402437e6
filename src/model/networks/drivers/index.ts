// What each network driver has, so that the shared code paths (firewall,
// DNS, endpoint teardown, reconcile) ask one place:
//
//   bridge   a bridge with the gateway, a veth per endpoint, NAT and isolation
//            in table inet netplumb, a DNS responder on the gateway
//   overlay  the same bridge on this host's subnet of a cluster CIDR, plus a
//            VXLAN device programmed with 3 objects per remote host (overlay/)
//   macvlan, ipvlan
//            no bridge, no NAT: endpoints stacked on a parent device,
//            addressed on the parent's network (stacked.ts)
import type { NetworkRecord } from '../../state/records.js';

/** Records written before drivers existed carry no driver, or 'bridge'. */
export function driverOf(n: Pick<NetworkRecord, 'driver'>): NetworkRecord['driver'] {
  return n.driver ?? 'bridge';
}

/** Endpoints are stacked on a parent device (no bridge, no host end, no firewall). */
export function isStacked(n: Pick<NetworkRecord, 'driver'>): boolean {
  const d = driverOf(n);
  return d === 'macvlan' || d === 'ipvlan';
}

/** The network has a bridge, chains in table inet netplumb, and its gateway on this host. */
export function hasBridge(n: Pick<NetworkRecord, 'driver'>): boolean {
  return !isStacked(n);
}

/** A DNS responder serves the network on its gateway (the gateway is this host's). */
export function servesDns(n: Pick<NetworkRecord, 'driver' | 'isDefault'>): boolean {
  return !n.isDefault && hasBridge(n);
}
