// Nexthop objects as the addon reports them (RTM_NEWNEXTHOP/DELNEXTHOP parsed by the core).
import type { IpFamily } from '../../core/validate.js';

export interface Nexthop {
  kind: 'nexthop';
  action: 'new' | 'del';
  id: number;
  /** Of the gateway; null for a blackhole or a group. */
  family: IpFamily | null;
  gateway?: string;
  /** ifindex of the device it leaves by. */
  index?: number;
  onlink: boolean;
  blackhole: boolean;
  /** The member ids of a nexthop group. */
  group?: number[];
}
