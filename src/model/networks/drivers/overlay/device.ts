// This host's side of an overlay network: the local record (the bridge on
// the host's subnet, the gateway its first address, as for a bridge network)
// and the VXLAN device, flannel's shape: one device per network with its VNI,
// the host's underlay address as local end, the cluster's UDP port, no
// learning, no multicast group, no default remote, IPv6 off, and the VTEP
// address (the subnet's network address) as a /32 on it.
import { addrCalls } from '../../../../rtnl/addr.js';
import { linkCalls } from '../../../../rtnl/link.js';
import { sysctlCalls } from '../../../../rtnl/sysctl.js';
import type { Call } from '../../../../addon/native.js';
import { macFromIPv4 } from '../../../../addressing/mac.js';
import { nthAddress, formatAddress, parsePrefix, type IpPrefix } from '../../../../addressing/ipnet.js';
import type { OverlaySpec } from '../../../../cluster/records.js';
import { bridgeName, shortId } from '../../../state/names.js';
import type { NetworkRecord } from '../../../state/records.js';

/** VXLAN's overhead over an IPv4 underlay: outer IPv4 20, UDP 8, VXLAN 8, inner Ethernet 14. */
export const VXLAN_OVERHEAD = 50;

export const VXLAN_PREFIX = 'npx';

/** The VXLAN device of an overlay: npx<12 hex>. */
export function vxlanName(networkId: string): string {
  return `${VXLAN_PREFIX}${shortId(networkId)}`;
}

export function vxlanAlias(networkId: string): string {
  return `netplumb overlay ${networkId}`;
}

export function isOurVxlanAlias(alias: string | null | undefined): string | undefined {
  return /^netplumb overlay ([0-9a-f]{64})$/.exec(alias ?? '')?.[1];
}

/** A host subnet's VTEP address: its network address, which no sandbox gets. */
export function vtepAddress(hostSubnet: string): string {
  return vtepAddressOf(parsePrefix(hostSubnet, 'subnet'));
}

/** vtepAddress of a subnet already parsed. */
export function vtepAddressOf(hostSubnet: IpPrefix): string {
  return formatAddress(nthAddress(hostSubnet, 0));
}

/** The VXLAN device's MAC, fixed by the subnet so that it survives restarts and other hosts' entries stay right. */
export function vtepMac(hostSubnet: string): string {
  return macFromIPv4(vtepAddress(hostSubnet));
}

export interface HostSide {
  hostId: string;
  underlay: string;
  /** MTU of the underlay interface that holds `underlay`. */
  underlayMtu: number;
  hostSubnet: string;
  nexthopSlot: number;
}

/** The local record of an overlay network on this host. */
export function overlayNetworkRecord(spec: OverlaySpec, h: HostSide): NetworkRecord {
  const p = parsePrefix(h.hostSubnet, 'subnet');
  return {
    id: spec.id,
    name: spec.name,
    driver: 'overlay',
    isDefault: false,
    bridge: bridgeName(spec.id),
    ipv4: { subnet: h.hostSubnet, gateway: formatAddress(nthAddress(p, 1)), userConfigured: true },
    internal: spec.internal,
    icc: true,
    masquerade: true,
    mtu: spec.mtu ?? h.underlayMtu - VXLAN_OVERHEAD,
    labels: { ...spec.labels },
    options: { ...spec.options },
    created: spec.created,
    overlay: {
      subnet: spec.subnet,
      vni: spec.vni,
      port: spec.port,
      device: vxlanName(spec.id),
      vtepMac: vtepMac(h.hostSubnet),
      underlay: h.underlay,
      hostId: h.hostId,
      nexthopSlot: h.nexthopSlot,
    },
  };
}

/** The VXLAN device with its VTEP address, for the plan that makes the network. */
export function vxlanDeviceCalls(n: NetworkRecord): Call[] {
  const o = n.overlay;
  if (!o) return [];
  return [
    linkCalls.addVxlan({
      name: o.device,
      vni: o.vni,
      local: o.underlay,
      port: o.port,
      learning: false,
      address: o.vtepMac,
      alias: vxlanAlias(n.id),
      addrGenMode: 'none',
      up: true,
      readBack: false,
      ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
    }),
    // Nothing IPv6 crosses the overlay: no link-local address, no NDP or MLD over VXLAN.
    sysctlCalls.set(`net/ipv6/conf/${o.device}/disable_ipv6`, 1),
    addrCalls.add({ dev: o.device, address: `${vtepAddress(n.ipv4.subnet)}/32` }),
  ];
}

/** Deletes the VXLAN device; its routes, neighbours and FDB entries go with it. */
export function vxlanRemovalCalls(n: NetworkRecord): Call[] {
  return n.overlay ? [linkCalls.delete(n.overlay.device, { ifExists: true })] : [];
}
