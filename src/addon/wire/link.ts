// The link model: what link.get / link.list / link.add return and what link
// events carry, as decoded by native/core/rtnl/link_parse.cc.

/** Interface flags by their iproute2 names. */
export type LinkFlag =
  | 'UP'
  | 'BROADCAST'
  | 'DEBUG'
  | 'LOOPBACK'
  | 'POINTOPOINT'
  | 'NOTRAILERS'
  | 'RUNNING'
  | 'NOARP'
  | 'PROMISC'
  | 'ALLMULTI'
  | 'MASTER'
  | 'SLAVE'
  | 'MULTICAST'
  | 'PORTSEL'
  | 'AUTOMEDIA'
  | 'DYNAMIC'
  | 'LOWER_UP'
  | 'DORMANT'
  | 'ECHO';

/** RFC 2863 operational state (IFLA_OPERSTATE). */
export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';

export type LinkKind = 'veth' | 'bridge' | 'dummy' | 'vxlan' | 'macvlan' | 'ipvlan' | 'vlan';
export type MacvlanMode = 'bridge' | 'private' | 'vepa' | 'passthru';
export type IpvlanMode = 'l2' | 'l3' | 'l3s';
/** How ipvlan slaves of one parent reach each other: bridge (default), private (not at all), vepa (through the switch). */
export type IpvlanFlags = 'bridge' | 'private' | 'vepa';
/** IPv6 link-local address generation: 'none' keeps a link without IPv6 from sending DAD/RS/MLD. */
export type AddrGenMode = 'eui64' | 'none' | 'stable' | 'random';

export interface BridgeInfo {
  stp?: boolean;
  /** Milliseconds (the kernel keeps centiseconds). */
  forwardDelay?: number;
  /** Milliseconds (the kernel keeps centiseconds). */
  ageingTime?: number;
  vlanFiltering?: boolean;
}

export interface VxlanInfo {
  vni?: number;
  port?: number;
  local: string | null;
  /** Unicast peer (a GROUP attribute holding a unicast address). */
  remote: string | null;
  /** Multicast group. */
  group: string | null;
  learning?: boolean;
  /** ifindex of the underlay device. */
  dev: number | null;
  ttl?: number;
}

/** The bridge-port settings a link can be given (linkCalls.setBridgePort). */
export interface BridgePortOptions {
  hairpin?: boolean;
  isolated?: boolean;
  learning?: boolean;
  /** Flood unicast traffic to unknown destinations to this port. */
  flood?: boolean;
  /** 1-65535 */
  cost?: number;
  /** 0-63 */
  priority?: number;
  /**
   * STP port state: 0 disabled, 1 listening, 2 learning, 3 forwarding, 4
   * blocking. Settable while the link is up (only 0 while it has no
   * carrier) and STP is not the kernel's; the kernel enables a disabled port
   * again when the link's carrier comes back.
   */
  state?: number;
}

/** A bridge port as read back: its settings and its STP state. */
export type BridgePortInfo = BridgePortOptions;

export interface LinkStats {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxErrors: number;
  txErrors: number;
  rxDropped: number;
  txDropped: number;
}

/** A network interface as the kernel reports it. */
export interface Link {
  kind: 'link';
  /** 'new' for links read back and for RTM_NEWLINK events; 'del' for RTM_DELLINK events. */
  action: 'new' | 'del';
  index: number;
  name: string;
  /** Set on AF_BRIDGE messages (bridge port events). */
  family?: 'bridge';
  flags: LinkFlag[];
  up: boolean;
  operstate: OperState;
  mtu: number;
  /** MAC address, or null for links without one. */
  address: string | null;
  broadcast: string | null;
  txQueueLen: number;
  /** The device group (IFLA_GROUP); 0 is the kernel's default. */
  deviceGroup: number;
  /** ifindex of the master (bridge) or null. */
  master: number | null;
  alias: string | null;
  /** IFLA_INFO_KIND ('veth', 'bridge', ...); null for physical and loopback links. */
  linkKind: string | null;
  /** Namespace id (as seen from this namespace) where `link` lives, when not here. */
  linkNetnsId: number | null;
  /** IFLA_LINK raw: a veth's peer or a stacked link's lower device. */
  link: number | null;
  /** The lower device of a macvlan (IFLA_LINK), when not a veth. */
  parentIndex: number | null;
  /** A veth's peer ifindex (in linkNetnsId's namespace when set). */
  peerIndex: number | null;
  bridge: BridgeInfo | null;
  vxlan: VxlanInfo | null;
  macvlan: { mode: MacvlanMode | 'source' | 'unknown' } | null;
  ipvlan: { mode: IpvlanMode | 'unknown' } | null;
  /** An 802.1Q sub-interface's id. */
  vlan: { id: number } | null;
  /** Set when the link is a bridge port. */
  bridgePort: BridgePortInfo | null;
  stats: LinkStats | null;
}

/** What link.add returns for a veth: this end, and the peer read back in its namespace. */
export interface VethLink extends Link {
  peer: Link;
}
