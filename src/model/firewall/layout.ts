// The objects of table inet netplumb: base chains that never change after
// the first setup, the maps that per-network chains and published ports hang
// off, and the names of each network's own chains. Everything that grows with
// networks or ports is a map element, so adding or removing either never
// touches a rule by handle.
import { chain, nftMap, nftSet, table, type Chain, type Table } from '../../nft/index.js';

export const FIREWALL_TABLE = 'netplumb';

/** Owned by the socket that claimed it and kept when that process exits (see claim.ts). */
export const OWNED_FLAGS = ['owner', 'persist'] as const;

export function firewallTable(owned: boolean): Table {
  return table('inet', FIREWALL_TABLE, owned ? { flags: [...OWNED_FLAGS] } : {});
}

// Chains and maps refer to the table by name only, so one description serves both flag choices.
const t = firewallTable(false);

export const chains = {
  /** Published ports, for packets arriving from outside or from containers (hairpin). */
  prerouting: chain(t, 'prerouting', { type: 'nat', hook: 'prerouting', priority: 'dstnat', policy: 'accept' }),
  /** Published ports, for connections the host itself opens to a local address. */
  output: chain(t, 'output', { type: 'nat', hook: 'output', priority: 'dstnat', policy: 'accept' }),
  /** Masquerade, per network through @nat_src4/@nat_src6. */
  postrouting: chain(t, 'postrouting', { type: 'nat', hook: 'postrouting', priority: 'srcnat', policy: 'accept' }),
  /**
   * Isolation, internal networks, icc, published ports. Policy accept: this
   * table only judges traffic from and to its own bridges (others' tables and
   * the host's own routing are left alone).
   */
  forward: chain(t, 'forward', { type: 'filter', hook: 'forward', priority: 'filter', policy: 'accept' }),
};

export const sets = {
  /** Every network's bridge: where loopback sources are masqueraded (route_localnet lets them out). */
  bridges: nftSet(t, 'bridges', { key: ['ifname'] }),
  /**
   * One element per state root that has a network here (key: its owner id,
   * comment: the state root). The table is shared by every owner on the host
   * and deleted only with the last element.
   */
  owners: nftSet(t, 'owners', { key: ['mark'] }),
};

export const maps = {
  /** iifname → jump to the chain of the network the packet comes from. */
  fromBridge: nftMap(t, 'from_bridge', { key: ['ifname'], data: 'verdict' }),
  /** oifname → jump to the chain of the network the packet goes into. */
  toBridge: nftMap(t, 'to_bridge', { key: ['ifname'], data: 'verdict' }),
  /** Source subnet → jump to the network's nat chain (postrouting has no input interface). */
  natSrc4: nftMap(t, 'nat_src4', { key: ['ipv4_addr'], data: 'verdict', flags: ['interval'] }),
  natSrc6: nftMap(t, 'nat_src6', { key: ['ipv6_addr'], data: 'verdict', flags: ['interval'] }),
  /** Ports bound to one host address: (host address, protocol, port) → (container address, port). */
  ports4: nftMap(t, 'ports4', { key: ['ipv4_addr', 'inet_proto', 'inet_service'], data: ['ipv4_addr', 'inet_service'] }),
  ports6: nftMap(t, 'ports6', { key: ['ipv6_addr', 'inet_proto', 'inet_service'], data: ['ipv6_addr', 'inet_service'] }),
  /** Ports bound to every local address: (protocol, port) → (container address, port). */
  anyPorts4: nftMap(t, 'any_ports4', { key: ['inet_proto', 'inet_service'], data: ['ipv4_addr', 'inet_service'] }),
  anyPorts6: nftMap(t, 'any_ports6', { key: ['inet_proto', 'inet_service'], data: ['ipv6_addr', 'inet_service'] }),
};

/** A network's own chains, named after its bridge. */
export interface NetworkChains {
  /** Packets that come from the network (iifname is its bridge). */
  from: Chain;
  /** Packets that go into the network (oifname is its bridge). */
  to: Chain;
  /** Packets from the network's subnets, at postrouting. */
  nat: Chain;
}

export function networkChains(bridge: string): NetworkChains {
  return {
    from: chain(t, `from-${bridge}`),
    to: chain(t, `to-${bridge}`),
    nat: chain(t, `nat-${bridge}`),
  };
}
