// Network links: veth pairs (peer created directly in its namespace under its
// final name), bridges, dummies, vxlan, and links stacked on a parent (macvlan,
// ipvlan, 802.1Q vlan; created directly in another namespace when asked); changes, bridge port
// flags, deletion and reads. Builders validate and return calls; `Links` runs
// them against one namespace.
import { native, type Call, type NativeNetns } from '../addon/native.js';
import { Netns } from '../kernel/netns.js';
import { PlanRef } from '../addon/plan.js';
import { ValidationError } from '../core/errors.js';
import { interfaceName, integer, ipAddress, macAddress, oneOf } from '../core/validate.js';
import type { AddrGenMode, BridgePortOptions, IpvlanFlags, IpvlanMode, Link, LinkKind, MacvlanMode, VethLink } from '../addon/wire/link.js';
import { opCall, type BridgePortArgs, type LinkAddArgs, type LinkListArgs, type LinkSetArgs } from '../addon/ops.js';

export type * from '../addon/wire/link.js';

/** The bridge port state (BR_STATE_DISABLED) in which a port forwards nothing, whatever its link does. */
export const BRIDGE_PORT_DISABLED = 0;

/** A link by name, or by ifindex. */
export type LinkRef = string | number;
/** A namespace: a Netns, an addon handle, or a namespace made earlier in the same plan. */
export type NetnsArg = Netns | NativeNetns | PlanRef;

export interface CommonLinkOptions {
  name: string;
  mtu?: number;
  /** MAC address aa:bb:cc:dd:ee:ff. */
  address?: string;
  /** Bring the link up after creating it (a second message: veth ends cannot be created up). */
  up?: boolean;
  alias?: string;
  /** The bridge to enslave it to: a name or an ifindex. */
  master?: LinkRef;
  txQueueLen?: number;
  /**
   * Set before the link goes up (same trip); 'none' spares a network without
   * IPv6 the DAD/RS/MLD traffic that a bridge floods to every port. For an
   * IPv6-less endpoint give it on both veth ends (this end and peer).
   */
  addrGenMode?: AddrGenMode;
  /**
   * The device group (IFLA_GROUP, 0-4294967295), set by the request that
   * creates the link: a mark that is on the link from its first instant
   * (the alias, which the kernel ignores in a create request, is not).
   */
  deviceGroup?: number;
  /**
   * For plans that do not use the result: false makes the call resolve to
   * `{ index, name }` (a veth's with `peer: { name }`) instead of the link(s)
   * read back, which saves reading and converting both ends (~0.15 ms a
   * veth). Links.add* always read back (they resolve to a Link).
   */
  readBack?: boolean;
}

export interface VethPeerOptions {
  /** The peer's final name in its namespace (for example eth0). */
  name: string;
  /** Namespace to create the peer in (default: the same as this end). */
  netns?: NetnsArg;
  address?: string;
  /** Default: the same as this end's mtu. */
  mtu?: number;
  up?: boolean;
  /** 'none' on the namespace end: no link-local address, so no DAD, RS or MLD flooded by the bridge. */
  addrGenMode?: AddrGenMode;
  deviceGroup?: number;
}

export interface AddVethOptions extends CommonLinkOptions {
  peer: VethPeerOptions;
}

export interface AddBridgeOptions extends CommonLinkOptions {
  stp?: boolean;
  /** Milliseconds (kept by the kernel in centiseconds; 2000-30000 when STP is on). */
  forwardDelay?: number;
  vlanFiltering?: boolean;
  /** Milliseconds (kept by the kernel in centiseconds). */
  ageingTime?: number;
  /**
   * IGMP/MLD snooping (kernel default on). Off, the bridge floods multicast
   * to every port instead of tracking listeners; it made no measurable
   * difference to the cost of adding ports in bench/endpoint.mjs.
   */
  mcastSnooping?: boolean;
}

export type AddDummyOptions = CommonLinkOptions;

export interface AddVxlanOptions extends CommonLinkOptions {
  vni: number;
  local?: string;
  /** Unicast peer; give remote or group, not both. */
  remote?: string;
  /** Multicast group (needs dev). */
  group?: string;
  /** UDP destination port (IANA 4789; the kernel's default is 8472). */
  port?: number;
  learning?: boolean;
  /** Underlay device: name or ifindex. */
  dev?: LinkRef;
  ttl?: number;
}

export interface StackedLinkOptions extends CommonLinkOptions {
  /** The device it sits on: name or ifindex, in the namespace the call runs in. */
  parent: LinkRef;
  /**
   * Create the link directly in this namespace, under its final name (one
   * request, no move); its parent stays where the call runs.
   */
  netns?: NetnsArg;
}

export interface AddMacvlanOptions extends StackedLinkOptions {
  mode?: MacvlanMode;
}

export interface AddIpvlanOptions extends StackedLinkOptions {
  /** l2 (default), l3 or l3s. */
  mode?: IpvlanMode;
  /** bridge (default), private or vepa. */
  flags?: IpvlanFlags;
}

export interface AddVlanOptions extends StackedLinkOptions {
  /** The 802.1Q id, 1-4094. */
  id: number;
}

export type AddLinkOptions =
  | ({ kind: 'veth' } & AddVethOptions)
  | ({ kind: 'bridge' } & AddBridgeOptions)
  | ({ kind: 'dummy' } & AddDummyOptions)
  | ({ kind: 'vxlan' } & AddVxlanOptions)
  | ({ kind: 'macvlan' } & AddMacvlanOptions)
  | ({ kind: 'ipvlan' } & AddIpvlanOptions)
  | ({ kind: 'vlan' } & AddVlanOptions);

export interface LinkChanges {
  up?: boolean;
  mtu?: number;
  address?: string;
  newName?: string;
  /** An empty string removes the alias. */
  alias?: string;
  /** Enslave to this bridge (name or ifindex). */
  master?: LinkRef;
  /** Release from its bridge. */
  nomaster?: true;
  /** Move the link into this namespace. */
  netns?: NetnsArg;
  txQueueLen?: number;
  /**
   * false: the change is sent alone, with nothing read before or after: a
   * later failure in the plan does not put it back, and the call resolves to
   * { name, index } as given. For hot paths whose caller disposes of the link
   * (deletes its namespace) when the plan fails. Not with newName or netns.
   */
  undoable?: boolean;
}

export interface ListLinksFilter {
  /** IFLA_INFO_KIND, for example 'veth' or 'bridge'. */
  kind?: string;
  /** Only ports of this bridge. */
  master?: LinkRef;
}


function netnsHandle(n: NetnsArg, field: string): NativeNetns | PlanRef {
  if (n instanceof Netns) return n.handle;
  if (n instanceof PlanRef) return n;
  if (n instanceof native.NetnsHandle) return n;
  throw new ValidationError(field, `${field} must be a Netns, a namespace handle or a plan ref`);
}

/** args.name or args.index (for the C++ side, which takes either). */
function refArgs(ref: LinkRef, nameKey: string, indexKey: string): Record<string, string | number> {
  if (typeof ref === 'number') return { [indexKey]: integer(ref, indexKey, 1, 2 ** 31 - 1) };
  return { [nameKey]: interfaceName(ref, nameKey) };
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new ValidationError(field, `${field} must be true or false`);
  return v;
}

function alias(v: unknown): string {
  if (typeof v !== 'string' || Buffer.byteLength(v) > 255 || v.includes('\0'))
    throw new ValidationError('alias', 'alias must be a string of at most 255 bytes without NUL');
  return v;
}

const mtu = (v: unknown, field = 'mtu'): number => integer(v, field, 68, 65535);
const addrGenModes: readonly AddrGenMode[] = ['eui64', 'none', 'stable', 'random'];

function isMulticast(addr: string): boolean {
  if (addr.includes(':')) return addr.toLowerCase().startsWith('ff');
  const first = Number(addr.split('.')[0]);
  return first >= 224 && first <= 239;
}

function commonArgs(kind: LinkKind, o: CommonLinkOptions): LinkAddArgs {
  if (o === null || typeof o !== 'object') throw new ValidationError('options', `add${kind}: options are required`);
  const a: LinkAddArgs = { kind, name: interfaceName(o.name, 'name') };
  if (o.mtu !== undefined) a.mtu = mtu(o.mtu);
  if (o.address !== undefined) a.address = macAddress(o.address);
  if (o.up !== undefined) a.up = bool(o.up, 'up');
  if (o.alias !== undefined) a.alias = alias(o.alias);
  if (o.master !== undefined) Object.assign(a, refArgs(o.master, 'master', 'masterIndex'));
  if (o.txQueueLen !== undefined) a.txQueueLen = integer(o.txQueueLen, 'txQueueLen', 0, 2 ** 32 - 1);
  if (o.addrGenMode !== undefined) a.addrGenMode = oneOf(o.addrGenMode, 'addrGenMode', addrGenModes);
  if (o.readBack !== undefined) a.readBack = bool(o.readBack, 'readBack');
  if (o.deviceGroup !== undefined) a.deviceGroup = integer(o.deviceGroup, 'deviceGroup', 0, 2 ** 32 - 1);
  return a;
}

function stackedArgs(kind: 'macvlan' | 'ipvlan' | 'vlan', o: StackedLinkOptions): LinkAddArgs {
  const args = commonArgs(kind, o);
  if (o.parent === undefined) throw new ValidationError('parent', `a ${kind} needs parent (the device it sits on)`);
  Object.assign(args, refArgs(o.parent, 'parent', 'parentIndex'));
  if (o.netns !== undefined) args.netns = netnsHandle(o.netns, 'netns');
  return args;
}

function peerArgs(p: VethPeerOptions): NonNullable<LinkAddArgs['peer']> {
  if (p === null || typeof p !== 'object')
    throw new ValidationError('peer', 'a veth needs peer: { name } (the other end, for example eth0)');
  const a: NonNullable<LinkAddArgs['peer']> = { name: interfaceName(p.name, 'peer.name') };
  if (p.netns !== undefined) a.netns = netnsHandle(p.netns, 'peer.netns');
  if (p.address !== undefined) a.address = macAddress(p.address, 'peer.address');
  if (p.mtu !== undefined) a.mtu = mtu(p.mtu, 'peer.mtu');
  if (p.up !== undefined) a.up = bool(p.up, 'peer.up');
  if (p.addrGenMode !== undefined) a.addrGenMode = oneOf(p.addrGenMode, 'peer.addrGenMode', addrGenModes);
  if (p.deviceGroup !== undefined) a.deviceGroup = integer(p.deviceGroup, 'peer.deviceGroup', 0, 2 ** 32 - 1);
  return a;
}

/** Call builders for links, for plans. They validate and never build netlink bytes. */
export const linkCalls = {
  addVeth(o: AddVethOptions): Call {
    const args = commonArgs('veth', o);
    args.peer = peerArgs(o.peer);
    return opCall('link.add', args);
  },

  addBridge(o: AddBridgeOptions): Call {
    const args = commonArgs('bridge', o);
    if (o.stp !== undefined) args.stp = bool(o.stp, 'stp');
    if (o.forwardDelay !== undefined) args.forwardDelay = integer(o.forwardDelay, 'forwardDelay', 0, 2 ** 32 - 1);
    if (o.ageingTime !== undefined) args.ageingTime = integer(o.ageingTime, 'ageingTime', 0, 2 ** 32 - 1);
    if (o.vlanFiltering !== undefined) args.vlanFiltering = bool(o.vlanFiltering, 'vlanFiltering');
    if (o.mcastSnooping !== undefined) args.mcastSnooping = bool(o.mcastSnooping, 'mcastSnooping');
    return opCall('link.add', args);
  },

  addDummy(o: AddDummyOptions): Call {
    return opCall('link.add', commonArgs('dummy', o));
  },

  addVxlan(o: AddVxlanOptions): Call {
    const args = commonArgs('vxlan', o);
    args.vni = integer(o.vni, 'vni', 0, 2 ** 24 - 1);
    if (o.remote !== undefined && o.group !== undefined)
      throw new ValidationError('remote', 'a vxlan takes remote (unicast) or group (multicast), not both');
    if (o.remote !== undefined) {
      ipAddress(o.remote, 'remote');
      if (isMulticast(o.remote)) throw new ValidationError('remote', 'remote must be unicast; use group for multicast');
      args.remote = o.remote;
    }
    if (o.group !== undefined) {
      ipAddress(o.group, 'group');
      if (!isMulticast(o.group)) throw new ValidationError('group', 'group must be a multicast address');
      args.group = o.group;
    }
    if (o.local !== undefined) {
      ipAddress(o.local, 'local');
      args.local = o.local;
    }
    if (o.port !== undefined) args.port = integer(o.port, 'port', 1, 65535);
    if (o.learning !== undefined) args.learning = bool(o.learning, 'learning');
    if (o.dev !== undefined) Object.assign(args, refArgs(o.dev, 'dev', 'devIndex'));
    if (o.ttl !== undefined) args.ttl = integer(o.ttl, 'ttl', 0, 255);
    return opCall('link.add', args);
  },

  addMacvlan(o: AddMacvlanOptions): Call {
    const args = stackedArgs('macvlan', o);
    args.mode = oneOf(o.mode ?? 'bridge', 'mode', ['bridge', 'private', 'vepa', 'passthru'] as const);
    return opCall('link.add', args);
  },

  addIpvlan(o: AddIpvlanOptions): Call {
    const args = stackedArgs('ipvlan', o);
    args.mode = oneOf(o.mode ?? 'l2', 'mode', ['l2', 'l3', 'l3s'] as const);
    if (o.flags !== undefined) args.ipvlanFlags = oneOf(o.flags, 'flags', ['bridge', 'private', 'vepa'] as const);
    return opCall('link.add', args);
  },

  /** An 802.1Q sub-interface of parent (eth0.100 on eth0). */
  addVlan(o: AddVlanOptions): Call {
    const args = stackedArgs('vlan', o);
    args.vlanId = integer(o.id, 'id', 1, 4094);
    return opCall('link.add', args);
  },

  /** Any kind, by `kind`. */
  add(o: AddLinkOptions): Call {
    switch (o.kind) {
      case 'veth':
        return linkCalls.addVeth(o);
      case 'bridge':
        return linkCalls.addBridge(o);
      case 'dummy':
        return linkCalls.addDummy(o);
      case 'vxlan':
        return linkCalls.addVxlan(o);
      case 'macvlan':
        return linkCalls.addMacvlan(o);
      case 'ipvlan':
        return linkCalls.addIpvlan(o);
      case 'vlan':
        return linkCalls.addVlan(o);
      default:
        throw new ValidationError('kind', `kind must be veth, bridge, dummy, vxlan, macvlan, ipvlan or vlan`);
    }
  },

  /** One request; a failing plan puts back what it changed. */
  set(link: LinkRef, c: LinkChanges): Call {
    const args: LinkSetArgs = refArgs(link, 'name', 'index');
    if (c === null || typeof c !== 'object') throw new ValidationError('changes', 'link.set needs an object of changes');
    if (c.up !== undefined) args.up = bool(c.up, 'up');
    if (c.mtu !== undefined) args.mtu = mtu(c.mtu);
    if (c.address !== undefined) args.address = macAddress(c.address);
    if (c.newName !== undefined) args.newName = interfaceName(c.newName, 'newName');
    if (c.alias !== undefined) args.alias = alias(c.alias);
    if (c.master !== undefined && c.nomaster) throw new ValidationError('nomaster', 'give master or nomaster, not both');
    if (c.master !== undefined) Object.assign(args, refArgs(c.master, 'master', 'masterIndex'));
    if (c.nomaster !== undefined) args.nomaster = bool(c.nomaster, 'nomaster');
    if (c.netns !== undefined) args.netns = netnsHandle(c.netns, 'netns');
    if (c.txQueueLen !== undefined) args.txQueueLen = integer(c.txQueueLen, 'txQueueLen', 0, 2 ** 32 - 1);
    if (Object.keys(args).length === 1) throw new ValidationError('changes', 'link.set needs at least one change');
    if (c.undoable !== undefined) {
      args.undoable = bool(c.undoable, 'undoable');
      if (!args.undoable && (args.newName !== undefined || args.netns !== undefined))
        throw new ValidationError('undoable', 'a rename or a move cannot be sent with undoable: false');
    }
    return opCall('link.set', args);
  },

  /** `readBack: false`: the port is not read after the change; the call resolves to { index, name }. */
  setBridgePort(link: LinkRef, o: BridgePortOptions, opts: { readBack?: boolean } = {}): Call {
    const args: BridgePortArgs = refArgs(link, 'name', 'index');
    for (const k of ['hairpin', 'isolated', 'learning', 'flood'] as const)
      if (o[k] !== undefined) args[k] = bool(o[k], k);
    if (o.cost !== undefined) args.cost = integer(o.cost, 'cost', 1, 65535);
    if (o.priority !== undefined) args.priority = integer(o.priority, 'priority', 0, 63);
    if (o.state !== undefined) args.state = integer(o.state, 'state', 0, 4);
    if (Object.keys(args).length === 1) throw new ValidationError('options', 'setBridgePort needs hairpin, isolated, learning, flood, cost, priority or state');
    if (opts.readBack === false) args.readBack = false;
    return opCall('link.setBridgePort', args);
  },

  /** With `deviceGroup`, only a link in that group is deleted (another is left alone and the call resolves false). */
  delete(link: LinkRef, opts: { ifExists?: boolean; deviceGroup?: number } = {}): Call {
    return opCall('link.delete', {
      ...refArgs(link, 'name', 'index'),
      ifExists: opts.ifExists ?? false,
      ...(opts.deviceGroup !== undefined ? { deviceGroup: integer(opts.deviceGroup, 'deviceGroup', 0, 2 ** 32 - 1) } : {}),
    });
  },

  get(link: LinkRef): Call {
    return opCall('link.get', refArgs(link, 'name', 'index'));
  },

  list(filter: ListLinksFilter = {}): Call {
    const args: LinkListArgs = {};
    if (filter.kind !== undefined) {
      if (typeof filter.kind !== 'string' || filter.kind === '') throw new ValidationError('kind', 'kind must be a string');
      args.kind = filter.kind;
    }
    if (filter.master !== undefined) Object.assign(args, refArgs(filter.master, 'master', 'masterIndex'));
    return opCall('link.list', args);
  },
};

/** The links of one namespace. */
export class Links {
  constructor(private readonly ns: Netns) {}

  // Builders throw ValidationError synchronously; inside async methods that becomes a rejection.
  // The link is always read back here: these methods resolve to a Link.
  private async one<T>(call: Call): Promise<T> {
    // The class returns links read back: the hot-path options that skip the reading are for plans.
    if (call.op === 'link.add' && call.args) delete call.args.readBack;
    if (call.op === 'link.set' && call.args) delete call.args.undoable;
    if (call.op === 'link.setBridgePort' && call.args) delete call.args.readBack;
    const [result] = await this.ns.exec([call]);
    return result as T;
  }

  /** A veth pair; the peer is created in `peer.netns` under `peer.name` by the same request. */
  async addVeth(o: AddVethOptions): Promise<VethLink> {
    return this.one(linkCalls.addVeth(o));
  }
  async addBridge(o: AddBridgeOptions): Promise<Link> {
    return this.one(linkCalls.addBridge(o));
  }
  async addDummy(o: AddDummyOptions): Promise<Link> {
    return this.one(linkCalls.addDummy(o));
  }
  async addVxlan(o: AddVxlanOptions): Promise<Link> {
    return this.one(linkCalls.addVxlan(o));
  }
  async addMacvlan(o: AddMacvlanOptions): Promise<Link> {
    return this.one(linkCalls.addMacvlan(o));
  }
  async addIpvlan(o: AddIpvlanOptions): Promise<Link> {
    return this.one(linkCalls.addIpvlan(o));
  }
  async addVlan(o: AddVlanOptions): Promise<Link> {
    return this.one(linkCalls.addVlan(o));
  }
  /** Applies the changes in one request; resolves to the link after (read in its new namespace when moved). */
  async set(link: LinkRef, changes: LinkChanges): Promise<Link> {
    return this.one(linkCalls.set(link, changes));
  }
  async setUp(link: LinkRef): Promise<Link> {
    return this.set(link, { up: true });
  }
  async setDown(link: LinkRef): Promise<Link> {
    return this.set(link, { up: false });
  }
  async setBridgePort(link: LinkRef, o: BridgePortOptions): Promise<Link> {
    return this.one(linkCalls.setBridgePort(link, o));
  }
  /** Resolves to false when absent and `ifExists`. Deleting a veth end deletes its peer. */
  async delete(link: LinkRef, opts: { ifExists?: boolean } = {}): Promise<boolean> {
    return this.one(linkCalls.delete(link, opts));
  }
  /** Throws NotFoundError when there is no such link. */
  async get(link: LinkRef): Promise<Link> {
    return this.one(linkCalls.get(link));
  }
  async list(filter: ListLinksFilter = {}): Promise<Link[]> {
    return this.one(linkCalls.list(filter));
  }
}
