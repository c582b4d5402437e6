// What the model persists. Networks are configuration (they outlive a reboot,
// like /var/lib/docker/network); IPAM allocations and sandboxes are runtime
// state (their namespaces die with the machine, like /run/docker).
import type { PoolState } from '../../addressing/ipam.js';
import type { PortProtocol } from '../../addressing/port-spec.js';

export type NetworkDriver = 'bridge' | 'overlay' | 'macvlan' | 'ipvlan';

/** This host's side of a cluster-wide overlay network (drivers/overlay). */
export interface OverlayRecord {
  /** The cluster CIDR; this host's subnet is ipv4.subnet. */
  subnet: string;
  vni: number;
  port: number;
  /** The VXLAN device (npx<short id>). */
  device: string;
  vtepMac: string;
  /** This host's address on the underlay (VXLAN's local address). */
  underlay: string;
  hostId: string;
  /** High byte of the ids of the nexthop objects this network's routes use past the nexthop threshold. */
  nexthopSlot: number;
}

/** The parent device of a macvlan or ipvlan network (drivers/stacked). */
export interface ParentRecord {
  name: string;
  /** macvlan: bridge|private|vepa|passthru; ipvlan: l2|l3|l3s. */
  mode: string;
  /** ipvlan: bridge|private|vepa. */
  flags?: string;
  /** An 802.1Q parent (eth0.100) the network created, and deletes with itself. */
  vlan?: { id: number; lower: string; created: boolean };
}

export interface NetworkRecord {
  id: string;
  name: string;
  /** Missing in records written before drivers existed: bridge. */
  driver: NetworkDriver;
  /** The default network (`bridge`, like docker0): no DNS, legacy links. */
  isDefault: boolean;
  /** The bridge (bridge, overlay); for macvlan and ipvlan the parent device. */
  bridge: string;
  /** IPv4 subnet, gateway, ip-range (the allocations live in the runtime IPAM document). */
  ipv4: Omit<PoolState, 'allocated' | 'last'>;
  ipv6?: Omit<PoolState, 'allocated' | 'last'>;
  internal: boolean;
  icc: boolean;
  masquerade: boolean;
  mtu?: number;
  /** Default host address for published ports (Docker's host_binding_ipv4). */
  hostBinding?: string;
  labels: Record<string, string>;
  /** The --opt values as given, shown by inspect. */
  options: Record<string, string>;
  created: string;
  overlay?: OverlayRecord;
  parent?: ParentRecord;
}

/** A network's runtime IPAM: address → owner (endpoint id). */
export interface IpamRecord {
  ipv4: { allocated: Record<string, string>; last?: string };
  ipv6?: { allocated: Record<string, string>; last?: string };
}

export interface PublishedPort {
  protocol: PortProtocol;
  /** undefined: every local address. */
  hostIp?: string;
  hostPort: number;
  containerPort: number;
}

/** A route in the sandbox: a CIDR, via `gateway` (default: the network's gateway of its family). */
export interface EndpointRoute {
  destination: string;
  gateway?: string;
}

export interface EndpointRecord {
  id: string;
  networkId: string;
  /** Name inside the sandbox: eth0, eth1, ... */
  ifname: string;
  /** The host end of its veth pair; '' for an endpoint without one (macvlan, ipvlan). */
  hostIfname: string;
  mac: string;
  ipv4: string;
  ipv6?: string;
  /** Whether the sandbox's default route goes via this network's gateway. */
  gatewayRoute: boolean;
  /** More routes in the sandbox through this endpoint (a CNI config's `routes`). */
  routes?: EndpointRoute[];
  aliases: string[];
  ports: PublishedPort[];
}

export type SandboxMode = 'bridge' | 'host' | 'none' | 'container';

export interface SandboxRecord {
  id: string;
  name: string;
  mode: SandboxMode;
  hostname: string;
  /**
   * Where its namespace lives. `owned`: created by us under the netns directory
   * and deleted with the sandbox; `adopted`: handed to us (a runtime's
   * namespace) and only released; `host`: the engine's own namespace;
   * `joined`: another sandbox's (container:<id>).
   */
  netns: {
    kind: 'owned' | 'adopted' | 'host' | 'joined';
    path: string;
    name?: string;
    pid?: number;
    /**
     * The namespace's SO_NETNS_COOKIE (decimal) when the sandbox was made:
     * nothing changes a namespace at `path` whose cookie differs (its path or
     * pid now names another container's namespace).
     */
    cookie?: string;
  };
  /** For container:<id>: the sandbox whose namespace this one uses. */
  joinedTo?: string;
  /** Sandboxes that use this one's namespace (container:<this>): it lives until the last of them goes. */
  joiners?: string[];
  endpoints: EndpointRecord[];
  /** --link targets, kept to regenerate hosts. */
  links: { sandbox: string; alias: string }[];
  /** Where the caller asked hosts/resolv.conf to be written (besides /etc/netns/<name>). */
  filesDir?: string;
  dns?: { nameservers?: string[]; search?: string[]; options?: string[] };
  extraHosts?: { address: string; names: string[] }[];
  /** --label metadata. */
  labels?: Record<string, string>;
  /** Removed while others still use its namespace: kept until the last of them goes. */
  removed?: boolean;
  /** The caller's key for its create request: the same key again gets this sandbox instead of a second one. */
  idempotencyKey?: string;
  /**
   * Written before the kernel is touched, cleared once the sandbox is whole:
   * a record still 'create' under the state lock belongs to a process that
   * died half way, and is rolled back (everything it names is removed).
   */
  pending?: 'create';
  created: string;
}

/**
 * A warm pool's namespace, made ahead of any sandbox (src/model/sandboxes/pool.ts):
 * named after its id (np-<short id>) with a veth pair <host end> / eth0 on the
 * network's bridge, owner-marked like an endpoint's, sandbox end down, no
 * address. Its id and endpoint id become the sandbox's when a create takes it.
 */
export interface PoolRecord {
  id: string;
  endpointId: string;
  networkId: string;
  netnsName: string;
  hostIfname: string;
  /** The engine that keeps it ready; reconcile deletes entries whose process is gone. */
  owner: { pid: number };
  created: string;
}
