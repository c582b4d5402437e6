// What the model persists. Networks are configuration (they outlive a reboot,
// like /var/lib/docker/network); IPAM allocations and sandboxes are runtime
// state (their namespaces die with the machine, like /run/docker).
import type { PoolState } from '../../addressing/ipam.js';
import type { PortProtocol } from '../../addressing/port-spec.js';

export interface NetworkRecord {
  id: string;
  name: string;
  driver: 'bridge';
  /** The default network (`bridge`, like docker0): no DNS, legacy links. */
  isDefault: boolean;
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

export interface EndpointRecord {
  id: string;
  networkId: string;
  /** Name inside the sandbox: eth0, eth1, ... */
  ifname: string;
  hostIfname: string;
  mac: string;
  ipv4: string;
  ipv6?: string;
  /** Whether the sandbox's default route goes via this network's gateway. */
  gatewayRoute: boolean;
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
  netns: { kind: 'owned' | 'adopted' | 'host' | 'joined'; path: string; name?: string; pid?: number };
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
  /** Removed while others still use its namespace: kept until the last of them goes. */
  removed?: boolean;
  created: string;
}

/**
 * A warm pool's namespace, made ahead of any sandbox (src/model/sandboxes/pool.ts):
 * named np-<id> with a veth pair npv<endpointId> / eth0 on the network's
 * bridge, both ends down, no address. Its id and endpoint id become the
 * sandbox's when a create takes it.
 */
export interface PoolRecord {
  id: string;
  endpointId: string;
  networkId: string;
  netnsName: string;
  hostIfname: string;
  /** The engine that keeps it ready; reconcile drops entries whose process is gone. */
  owner: { pid: number };
  created: string;
}
