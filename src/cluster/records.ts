// What the hosts of a cluster share, and where it lives in the store:
//
//   /netplumb/v1/catalog                          a counter every network change moves (CAS)
//   /netplumb/v1/networks/<name>                  OverlaySpec: the network, cluster-wide
//   /netplumb/v1/hosts/<hostId>                   HostRecord, on the host's lease
//   /netplumb/v1/overlay/<netId>/reserved/<sub>   SubnetReservation: whose subnet this is (no lease)
//   /netplumb/v1/overlay/<netId>/vteps/<sub>      VtepRecord: the host's end of the network, on its lease
//   /netplumb/v1/overlay/<netId>/names/<endpoint> NameRecord: a sandbox's names there, on its host's lease
//
// <sub> is the host subnet with '-' for '/' (10.244.3.0-24), as flannel
// names its leases. A host that stops renewing its lease loses its host
// record, VTEPs and names, and the other hosts drop it; the reservation
// stays, so the host gets the same subnet back when it returns.

export const STORE_ROOT = '/netplumb/v1/';

export interface OverlaySpec {
  id: string;
  name: string;
  /** The cluster CIDR: every host's subnet is carved from it. */
  subnet: string;
  vni: number;
  /** Prefix length of each host's subnet (host-subnet-size). */
  hostPrefixLength: number;
  /** UDP port of VXLAN. */
  port: number;
  internal: boolean;
  /** An MTU asked for (com.docker.network.driver.mtu); default: the underlay's minus 50. */
  mtu?: number;
  labels: Record<string, string>;
  options: Record<string, string>;
  created: string;
}

export interface HostRecord {
  hostId: string;
  advertiseAddr: string;
  started: string;
}

export interface SubnetReservation {
  hostId: string;
}

export interface VtepRecord {
  hostId: string;
  /** Where the host receives VXLAN. */
  underlay: string;
  /** Its VXLAN device's MAC. */
  vtepMac: string;
  /** Its subnet of the network; the subnet's first address is its VTEP address. */
  subnet: string;
  vni: number;
}

export interface NameRecord {
  hostId: string;
  sandbox: string;
  names: string[];
  ipv4: string;
  ipv6?: string;
}

export const subnetKey = (subnet: string): string => subnet.replace('/', '-');

export const storeKeys = {
  catalog: `${STORE_ROOT}catalog`,
  networks: `${STORE_ROOT}networks/`,
  network: (name: string) => `${STORE_ROOT}networks/${name}`,
  hosts: `${STORE_ROOT}hosts/`,
  host: (hostId: string) => `${STORE_ROOT}hosts/${hostId}`,
  overlay: (netId: string) => `${STORE_ROOT}overlay/${netId}/`,
  reserved: (netId: string, subnet: string) => `${STORE_ROOT}overlay/${netId}/reserved/${subnetKey(subnet)}`,
  vteps: (netId: string) => `${STORE_ROOT}overlay/${netId}/vteps/`,
  vtep: (netId: string, subnet: string) => `${STORE_ROOT}overlay/${netId}/vteps/${subnetKey(subnet)}`,
  names: (netId: string) => `${STORE_ROOT}overlay/${netId}/names/`,
  name: (netId: string, endpointId: string) => `${STORE_ROOT}overlay/${netId}/names/${endpointId}`,
};

export type StoreKey =
  | { kind: 'catalog' }
  | { kind: 'network'; name: string }
  | { kind: 'host'; hostId: string }
  | { kind: 'reserved' | 'vtep'; netId: string; subnet: string }
  | { kind: 'name'; netId: string; endpointId: string }
  | { kind: 'other' };

/** What a key of the store is about. */
export function parseStoreKey(key: string): StoreKey {
  if (!key.startsWith(STORE_ROOT)) return { kind: 'other' };
  const parts = key.slice(STORE_ROOT.length).split('/');
  if (parts.length === 1 && parts[0] === 'catalog') return { kind: 'catalog' };
  if (parts.length === 2 && parts[0] === 'networks') return { kind: 'network', name: parts[1]! };
  if (parts.length === 2 && parts[0] === 'hosts') return { kind: 'host', hostId: parts[1]! };
  if (parts.length === 4 && parts[0] === 'overlay') {
    const [, netId, what, last] = parts as [string, string, string, string];
    if (what === 'reserved' || what === 'vteps') return { kind: what === 'vteps' ? 'vtep' : 'reserved', netId, subnet: last.replace('-', '/') };
    if (what === 'names') return { kind: 'name', netId, endpointId: last };
  }
  return { kind: 'other' };
}

/** A record's JSON, or undefined when the value is not one (a hand-written file gone wrong). */
export function parseRecord<T>(value: string | undefined): T | undefined {
  if (value === undefined) return undefined;
  try {
    const v = JSON.parse(value) as unknown;
    return v !== null && typeof v === 'object' ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}
