// The contract between TypeScript and the addon: every operation the core
// registers (NETPLUMB_OP in native/core/ops), with the type of its arguments
// and of its result. Call sites build calls with opCall(), never with a
// literal op name, and test/unit/addon/ops.test.ts holds this table equal to
// the addon's registered names both ways.
import type { IpFamily } from '../core/validate.js';
import type { Call, NativeNetns, ResultRef } from './native.js';
import type { Address, AddressScope, Lifetime } from './wire/addr.js';
import type { AddrGenMode, BridgePortOptions, Link, LinkKind, MacvlanMode } from './wire/link.js';
import type { Neighbour } from './wire/neigh.js';
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
  /** false: resolve to null instead of reading the link back (saves a request on hot paths). */
  readBack?: boolean;
  /** veth: the other end. */
  peer?: { name: string; netns?: NetnsRefArg; address?: string; mtu?: number; up?: boolean; addrGenMode?: AddrGenMode };
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
  /** macvlan */
  parent?: string;
  parentIndex?: number;
  mode?: MacvlanMode;
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

export interface BridgePortArgs extends LinkRefArgs, BridgePortOptions {}

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

/** An operation's signature; the value only carries the types. */
export interface OpSignature<A, R> {
  readonly args?: A;
  readonly result?: R;
}
const op = <A, R>(): OpSignature<A, R> => ({});

const ifExists = { ifExists: false as boolean | undefined };
type IfExists = Partial<typeof ifExists>;

/** Every operation the addon registers. */
export const OPS = {
  'netns.create': op<{ name?: string; dir?: string; loopbackUp?: boolean }, NativeNetns>(),
  'netns.open': op<{ name?: string; dir?: string; path?: string; pid?: number }, NativeNetns>(),
  'netns.delete': op<{ name: string; dir?: string } & IfExists, boolean>(),
  'netns.release': op<{ name: string; dir?: string; downIfHeld?: string[] } & IfExists, { removed: boolean; held: boolean }>(),
  'netns.list': op<{ dir?: string }, string[]>(),
  'link.add': op<LinkAddArgs, Link | null>(),
  'link.set': op<LinkSetArgs, Link | { name: string; index: number }>(),
  'link.setBridgePort': op<BridgePortArgs, Link>(),
  'link.delete': op<LinkRefArgs & IfExists, boolean>(),
  'link.get': op<LinkRefArgs, Link>(),
  'link.list': op<LinkListArgs, Link[]>(),
  'addr.add': op<AddrAddArgs, Address>(),
  'addr.delete': op<InterfaceArgs & { address: string } & IfExists, boolean>(),
  'addr.list': op<InterfaceArgs & { family?: IpFamily }, Address[]>(),
  'route.add': op<RouteArgs, boolean>(),
  'route.replace': op<RouteArgs, Route | null>(),
  'route.delete': op<RouteArgs & IfExists, boolean>(),
  'route.list': op<InterfaceArgs & { family?: IpFamily; table?: RouteTable }, Route[]>(),
  'neigh.add': op<NeighAddArgs, null>(),
  'neigh.delete': op<NeighAddArgs & IfExists, boolean>(),
  'neigh.list': op<InterfaceArgs & { family?: IpFamily | 'bridge' }, Neighbour[]>(),
  'sysctl.get': op<{ key: string }, string>(),
  'sysctl.set': op<{ key: string; value: string | number | boolean }, string>(),
  'socket.open': op<SocketOpenArgs, OpenedSocket>(),
  'events.open': op<{ protocol: number; groups: number[] }, number>(),
  'nft.apply': op<{ changes: Change[]; genid?: number }, ApplyResult>(),
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
