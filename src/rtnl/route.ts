// Routes (IPv4 and IPv6): add, replace, delete, list, in any table.
import type { Call } from '../addon/native.js';
import type { Netns } from '../kernel/netns.js';
import { ValidationError } from '../core/errors.js';
import type { Route, RouteProtocol, RouteScope, RouteTable, RouteType } from '../addon/wire/route.js';

export type * from '../addon/wire/route.js';
import { cidr, integer, ipAddress, oneOf, type IpFamily } from '../core/validate.js';
import { interfaceArgs, scopeArg, type InterfaceSelector } from './interface.js';
import { opCall, type ArgsOf, type RouteArgs } from '../addon/ops.js';

export interface RouteOptions extends InterfaceSelector {
  /** 'default' or a CIDR; a bare address means a host route. */
  destination: string;
  gateway?: string;
  /** Preferred source address (prefsrc). */
  src?: string;
  metric?: number;
  table?: RouteTable;
  scope?: RouteScope;
  protocol?: RouteProtocol;
  type?: RouteType;
  /** Treat the gateway as directly reachable on dev even without a matching prefix. */
  onlink?: boolean;
  mtu?: number;
  /** Through a nexthop object (nexthopCalls.add) instead of gateway and dev. */
  nhid?: number;
  /** Needed only for a default route without a gateway (blackhole default, dev-only default). */
  family?: IpFamily;
}

export interface DeleteRouteOptions extends RouteOptions {
  /** Resolve to false instead of failing when no such route exists. */
  ifExists?: boolean;
}

export interface ListRouteOptions extends InterfaceSelector {
  family?: IpFamily;
  /** One table; every table when left out. */
  table?: RouteTable;
}

const SCOPES = ['universe', 'global', 'site', 'link', 'host', 'nowhere'] as const;
const PROTOCOLS = ['unspec', 'redirect', 'kernel', 'boot', 'static', 'ra', 'dhcp'] as const;
const TYPES = ['unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat'] as const;

function tableArg(t: unknown): RouteTable {
  if (t === 'main' || t === 'local' || t === 'default') return t;
  return integer(t, 'table', 1, 0xffffffff);
}

function namedOrNumber<T extends string>(v: unknown, field: string, names: readonly T[]): T | number {
  return typeof v === 'number' ? integer(v, field, 0, 255) : oneOf(v, field, names);
}

function routeArgs(opts: RouteOptions): RouteArgs {
  let family: IpFamily | undefined = opts.family;
  if (family !== undefined && family !== 4 && family !== 6)
    throw new ValidationError('family', `family must be 4 or 6, got ${String(family)}`);
  const agree = (f: IpFamily, field: string): void => {
    if (family !== undefined && family !== f)
      throw new ValidationError(field, `${field} is IPv${f} but the route is IPv${family}`);
    family = f;
  };
  const args: Partial<RouteArgs> = { ...interfaceArgs(opts, false) };
  if (opts.destination === 'default') {
    args.destination = 'default';
  } else {
    const d = cidr(opts.destination, 'destination', true);
    agree(d.family, 'destination');
    args.destination = `${d.address}/${d.prefixLength}`;
  }
  if (opts.gateway !== undefined) {
    agree(ipAddress(opts.gateway, 'gateway'), 'gateway');
    args.gateway = opts.gateway;
  }
  if (opts.src !== undefined) {
    agree(ipAddress(opts.src, 'src'), 'src');
    args.src = opts.src;
  }
  if (family === undefined)
    throw new ValidationError('family', 'a default route without a gateway needs family: 4 or 6');
  args.family = family;
  if (opts.metric !== undefined) args.metric = integer(opts.metric, 'metric', 0, 0xffffffff);
  if (opts.table !== undefined) args.table = tableArg(opts.table);
  if (opts.scope !== undefined) args.scope = scopeArg(opts.scope, 'scope', SCOPES);
  if (opts.protocol !== undefined) args.protocol = namedOrNumber(opts.protocol, 'protocol', PROTOCOLS);
  if (opts.type !== undefined) args.type = namedOrNumber(opts.type, 'type', TYPES);
  if (opts.onlink !== undefined) args.onlink = opts.onlink === true;
  if (opts.mtu !== undefined) args.mtu = integer(opts.mtu, 'mtu', 68, 0xffffffff);
  if (opts.nhid !== undefined) {
    if (opts.gateway !== undefined || args.dev !== undefined || args.index !== undefined || opts.onlink)
      throw new ValidationError('nhid', 'a route through a nexthop object (nhid) takes neither gateway, dev nor onlink');
    args.nhid = integer(opts.nhid, 'nhid', 1, 0xffffffff);
  }
  return args as RouteArgs;
}

export const routeCalls = {
  /** Fails with AlreadyExistsError if the same route is there; undo deletes it. */
  add(opts: RouteOptions): Call {
    return opCall('route.add', routeArgs(opts));
  },
  /** Adds or takes the place of the route with the same destination, table and metric; resolves to the one replaced (or null). */
  replace(opts: RouteOptions): Call {
    return opCall('route.replace', routeArgs(opts));
  },
  delete(opts: DeleteRouteOptions): Call {
    return opCall('route.delete', { ...routeArgs(opts), ifExists: opts.ifExists ?? false });
  },
  list(opts: ListRouteOptions = {}): Call {
    const args: ArgsOf<'route.list'> = interfaceArgs(opts, false);
    if (opts.family !== undefined) {
      if (opts.family !== 4 && opts.family !== 6) throw new ValidationError('family', 'family must be 4 or 6');
      args.family = opts.family;
    }
    if (opts.table !== undefined) args.table = tableArg(opts.table);
    return opCall('route.list', args);
  },
};

export class Routes {
  constructor(private readonly ns: Netns) {}

  async add(opts: RouteOptions): Promise<void> {
    await this.ns.exec([routeCalls.add(opts)]);
  }

  /** Resolves to the route it replaced, or null when there was none. */
  async replace(opts: RouteOptions): Promise<Route | null> {
    const [r] = await this.ns.exec([routeCalls.replace(opts)]);
    return r as Route | null;
  }

  /** False when no such route existed and `ifExists` was set. */
  async delete(opts: DeleteRouteOptions): Promise<boolean> {
    const [r] = await this.ns.exec([routeCalls.delete(opts)]);
    return r as boolean;
  }

  /** Routes of every table (or one), without cached clones. */
  async list(opts: ListRouteOptions = {}): Promise<Route[]> {
    const [r] = await this.ns.exec([routeCalls.list(opts)]);
    return r as Route[];
  }
}
