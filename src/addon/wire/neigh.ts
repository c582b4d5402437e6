// Neighbour and FDB entries as the addon reports them (RTM_NEWNEIGH/DELNEIGH parsed by the core).
import type { IpFamily } from '../../core/validate.js';

export type NeighbourStateName =
  | 'incomplete'
  | 'reachable'
  | 'stale'
  | 'delay'
  | 'probe'
  | 'failed'
  | 'noarp'
  | 'permanent'
  | 'none';

export interface NeighbourFlags {
  use: boolean;
  self: boolean;
  master: boolean;
  proxy: boolean;
  extLearned: boolean;
  offloaded: boolean;
  sticky: boolean;
  router: boolean;
}

/** An entry as the kernel reports it, in a list and in events. */
export interface Neighbour {
  kind: 'neighbour';
  action: 'new' | 'del';
  family: IpFamily | 'bridge';
  /** ifindex of the interface (for FDB entries: the port or vxlan device). */
  index: number;
  /** The neighbour's IP address (ARP/NDP). */
  address?: string;
  lladdr?: string;
  state: NeighbourStateName[];
  flags: NeighbourFlags;
  vlan?: number;
  vni?: number;
  port?: number;
  /** FDB: the remote VXLAN endpoint. */
  dst?: string;
  /** FDB: ifindex of the bridge. */
  master?: number;
}
