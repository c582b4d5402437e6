// Routes as the addon reports them (RTM_NEWROUTE/DELROUTE parsed by the core).
import type { IpFamily } from '../../core/validate.js';

export type RouteScope = 'universe' | 'global' | 'site' | 'link' | 'host' | 'nowhere' | number;
export type RouteProtocol = 'unspec' | 'redirect' | 'kernel' | 'boot' | 'static' | 'ra' | 'dhcp' | number;
export type RouteType =
  | 'unicast'
  | 'local'
  | 'broadcast'
  | 'anycast'
  | 'multicast'
  | 'blackhole'
  | 'unreachable'
  | 'prohibit'
  | 'throw'
  | 'nat'
  | number;
/** A table id; main is 254, local 255, default 253. */
export type RouteTable = number | 'main' | 'local' | 'default';

/** A route as the kernel reports it, in a list and in events. */
export interface Route {
  kind: 'route';
  action: 'new' | 'del';
  family: IpFamily;
  /** 'default' or a CIDR such as 10.0.0.0/24. */
  destination: string;
  gateway?: string;
  /** ifindex of the output interface. */
  index?: number;
  /** Preferred source address. */
  src?: string;
  metric?: number;
  /** Numeric table id (254 = main, 255 = local). */
  table: number;
  scope: RouteScope;
  protocol: RouteProtocol;
  type: RouteType;
  onlink: boolean;
  mtu?: number;
  /** The nexthop object the route goes through (its gateway and index are the nexthop's). */
  nhid?: number;
}
