// The contract between TypeScript and the addon: every operation the core
// registers (NETPLUMB_OP in native/core/ops), with the type of its arguments
// and of its result. Call sites build calls with opCall(), never with a
// literal op name, and test/unit/addon/ops.test.ts holds this table equal to
// the addon's registered names both ways.
import type { IpFamily } from '../core/validate.js';
import type { Call, NativeNetns, ResultRef } from './native.js';
import type { Address, AddressScope, Lifetime } from './wire/addr.js';
import type { AddrGenMode, BridgePortOptions, IpvlanFlags, IpvlanMode, Link, LinkKind, MacvlanMode } from './wire/link.js';
import type { Neighbour } from './wire/neigh.js';
import type { NetemOptions, Qdisc, TbfOptions } from './wire/qdisc.js';
import type { Nexthop } from './wire/nexthop.js';
import type { ApplyResult, Change, Family, Ruleset } from './wire/nft.js';
import type { Route, RouteProtocol, RouteScope, RouteTable, RouteType } from './wire/route.js';

/** A namespace argument: a handle, or the result of an earlier call of the same plan. */
export type NetnsRefArg = NativeNetns | ResultRef;

/** An interface by name or by ifindex. */
export interface InterfaceArgs {
  dev?: string;
  index?: number;
}

export interface LinkRefArgs {
  name?: string;
  index?: number;
}

export interface LinkAddArgs {
  kind: LinkKind;
  name: string;
  mtu?: number;
  address?: string;
  up?: boolean;
  alias?: string;
  master?: string;
  masterIndex?: number;
  txQueueLen?: number;
  addrGenMode?: AddrGenMode;
  /** IFLA_GROUP, set by the create request itself (0-4294967295). */
  deviceGroup?: number;
  /** false: resolve to null instead of reading the link back (saves a request on hot paths). */
  readBack?: boolean;
  /** veth: the other end. */
  peer?: { name: string; netns?: NetnsRefArg; address?: string; mtu?: number; up?: boolean; addrGenMode?: AddrGenMode; deviceGroup?: number };
  /** bridge */
  stp?: boolean;
  forwardDelay?: number;
  ageingTime?: number;
  vlanFiltering?: boolean;
  mcastSnooping?: boolean;
  /** vxlan */
  vni?: number;
  remote?: string;
  group?: string;
  local?: string;
  port?: number;
  learning?: boolean;
  dev?: string;
  devIndex?: number;
  ttl?: number;
  /** macvlan, ipvlan, vlan: the lower device (resolved in the request's namespace). */
  parent?: string;
  parentIndex?: number;
  mode?: MacvlanMode | IpvlanMode;
  /** ipvlan */
  ipvlanFlags?: IpvlanFlags;
  /** vlan: the 802.1Q id. */
  vlanId?: number;
  /** Any kind but veth: create the link directly in this namespace. */
  netns?: NetnsRefArg;
}

export interface LinkSetArgs extends LinkRefArgs {
  up?: boolean;
  mtu?: number;
  address?: string;
  newName?: string;
  alias?: string;
  master?: string;
  masterIndex?: number;
  nomaster?: boolean;
  netns?: NetnsRefArg;
  txQueueLen?: number;
  undoable?: boolean;
}

export interface BridgePortArgs extends LinkRefArgs, BridgePortOptions {
  readBack?: boolean;
}

export interface LinkListArgs {
  kind?: string;
  master?: string;
  masterIndex?: number;
}

export interface AddrAddArgs extends InterfaceArgs {
  /** address/prefix */
  address: string;
  broadcast?: string | true;
  peer?: string;
  scope?: AddressScope | string;
  label?: string;
  flags?: Record<string, boolean>;
  validLifetime?: Lifetime;
  preferredLifetime?: Lifetime;
  replace?: boolean;
  readBack?: boolean;
}

export interface RouteArgs extends InterfaceArgs {
  destination: string;
  family: IpFamily;
  gateway?: string;
  src?: string;
  metric?: number;
  table?: RouteTable;
  scope?: RouteScope | string;
  protocol?: RouteProtocol;
  type?: RouteType;
  onlink?: boolean;
  mtu?: number;
  /** Through a nexthop object instead of gateway and device. */
  nhid?: number;
}

export interface NexthopArgs extends InterfaceArgs {
  id: number;
  gateway?: string;
  onlink?: boolean;
  blackhole?: boolean;
  /** Of a nexthop without gateway (default 4). */
  family?: IpFamily;
}

export interface NeighAddArgs extends InterfaceArgs {
  family?: 'bridge';
  address?: string;
  lladdr?: string;
  state?: string;
  router?: boolean;
  dst?: string;
  vni?: number;
  vlan?: number;
  port?: number;
  master?: boolean;
  self?: boolean;
  replace?: boolean;
}

export type QdiscReplaceArgs = InterfaceArgs & ({ type: 'netem'; netem: NetemOptions } | { type: 'tbf'; tbf: TbfOptions });
/** One change of rtnl.apply: the arguments are those of route.add, neigh.add or nexthop.add. */
export type RtnlChange =
  | { action: 'add' | 'replace' | 'delete'; object: 'route'; args: RouteArgs & IfExists; before?: RouteArgs }
  | { action: 'add' | 'replace' | 'delete'; object: 'neigh'; args: NeighAddArgs & IfExists; before?: NeighAddArgs }
  | { action: 'add' | 'replace' | 'delete'; object: 'nexthop'; args: NexthopArgs & IfExists; before?: NexthopArgs };

export interface SocketOpenArgs {
  type: 'tcp' | 'udp';
  family?: IpFamily;
  address?: string;
  port?: number;
  /** false: connect instead of bind (TCP). */
  bind?: boolean;
  reuseAddress?: boolean;
}

export interface OpenedSocket {
  fd: number;
  port: number;
}

/** A socket that holds a port: a TCP listener or a bound, unconnected UDP socket. */
export interface ListeningSocket {
  protocol: 'tcp' | 'udp';
  family: IpFamily;
  /** The local address: 0.0.0.0 or :: for every address. */
  address: string;
  port: number;
  inode: number;
  /** IPv6 sockets: whether it refuses IPv4 (IPV6_V6ONLY). */
  v6only?: boolean;
}
const ifExists = { ifExists: false as boolean | undefined };
type IfExists = Partial<typeof ifExists>;

/** An operation's signature; the value only carries the types. */
export interface OpSignature<A, R> {
  readonly args?: A;
  readonly result?: R;
}
const op = <A, R>(): OpSignature<A, R> => ({});


/** Every operation the addon registers. */
export const OPS = {
  'netns.create': op<{ name?: string; dir?: string; loopbackUp?: boolean }, NativeNetns>(),
  /** With `cookie`, refused (ESTALE) unless the namespace found is the one with that cookie. */
  'netns.open': op<{ name?: string; dir?: string; path?: string; pid?: number; cookie?: string }, NativeNetns>(),
  'netns.delete': op<{ name: string; dir?: string } & IfExists, boolean>(),
  /** Of these veth host ends, those whose peer's namespace someone still holds are taken down or deleted; their names. */
  'netns.heldPeers': op<{ peers: string[]; action: 'down' | 'delete' }, string[]>(),
  'netns.list': op<{ dir?: string }, string[]>(),
  /** The call's namespace's SO_NETNS_COOKIE, as decimal text. */
  'netns.cookie': op<Record<string, never>, string>(),
  'link.add': op<LinkAddArgs, Link | null>(),
  'link.set': op<LinkSetArgs, Link | { name: string; index: number }>(),
  'link.setBridgePort': op<BridgePortArgs, Link | { index: number; name: string }>(),
  'link.delete': op<LinkRefArgs & IfExists & { deviceGroup?: number }, boolean>(),
  'link.get': op<LinkRefArgs, Link>(),
  'link.list': op<LinkListArgs, Link[]>(),
  'addr.add': op<AddrAddArgs, Address | { address: string }>(),
  'addr.delete': op<InterfaceArgs & { address: string } & IfExists, boolean>(),
  'addr.list': op<InterfaceArgs & { family?: IpFamily }, Address[]>(),
  'route.add': op<RouteArgs, boolean>(),
  'route.replace': op<RouteArgs, Route | null>(),
  'route.delete': op<RouteArgs & IfExists, boolean>(),
  'route.list': op<InterfaceArgs & { family?: IpFamily; table?: RouteTable }, Route[]>(),
  'neigh.add': op<NeighAddArgs, null>(),
  'neigh.delete': op<NeighAddArgs & IfExists, boolean>(),
  'neigh.list': op<InterfaceArgs & { family?: IpFamily | 'bridge' }, Neighbour[]>(),
  'qdisc.replace': op<QdiscReplaceArgs, boolean>(),
  'qdisc.delete': op<InterfaceArgs & IfExists, boolean>(),
  'qdisc.list': op<InterfaceArgs, Qdisc[]>(),
  'nexthop.add': op<NexthopArgs, boolean>(),
  'nexthop.delete': op<{ id: number } & IfExists, boolean>(),
  'nexthop.list': op<InterfaceArgs, Nexthop[]>(),
  'rtnl.apply': op<{ changes: RtnlChange[] }, number>(),
  'sysctl.get': op<{ key: string }, string>(),
  'sysctl.set': op<{ key: string; value: string | number | boolean }, string>(),
  'socket.open': op<SocketOpenArgs, OpenedSocket>(),
  'sockets.listening': op<{ protocols?: ('tcp' | 'udp')[]; ports?: number[] }, ListeningSocket[]>(),
  'events.open': op<{ protocol: number; groups: number[] }, number>(),
  'nft.apply': op<{ changes: Change[]; genid?: number; readBack?: boolean }, ApplyResult>(),
  'nft.list': op<{ family?: Family; table?: string }, Ruleset>(),
  'nft.getgen': op<Record<string, never>, number>(),
} as const;

export type OpName = keyof typeof OPS;
export type ArgsOf<N extends OpName> = NonNullable<(typeof OPS)[N]['args']>;
export type ResultOf<N extends OpName> = NonNullable<(typeof OPS)[N]['result']> | Extract<(typeof OPS)[N]['result'], null>;

/** A call of operation N: what plans and exec take. */
export interface OpCall<N extends OpName = OpName> extends Call {
  op: N;
  args: ArgsOf<N> & Record<string, unknown>;
}

/** Builds a call of a registered operation with arguments of its type. */
export function opCall<N extends OpName>(op: N, args: ArgsOf<N>): OpCall<N> {
  return { op, args: args as ArgsOf<N> & Record<string, unknown> };
}

/** The names of every operation, for the contract test. */
export const OP_NAMES: readonly OpName[] = Object.keys(OPS) as OpName[];
