// The kernel objects of an overlay's remote hosts on this host, as flannel's
// vxlan backend keeps them: per remote host a route to its subnet via its
// VTEP address (onlink), a permanent neighbour entry giving the VTEP
// address its VTEP MAC, and a permanent FDB entry sending that MAC to its
// underlay address. Past the nexthop threshold the routes go through one
// nexthop object per host instead (thousands of per-gateway routes cost the
// kernel several times more). Pure: desired objects from the store's
// records, objects read from the kernel, and the changes between two sets,
// in an order the kernel accepts (nexthops before the routes that use them,
// and after the routes that leave them).
import type { RtnlChange } from '../../../../addon/ops.js';
import type { Neighbour } from '../../../../addon/wire/neigh.js';
import type { Nexthop } from '../../../../addon/wire/nexthop.js';
import type { Route } from '../../../../addon/wire/route.js';
import type { VtepRecord } from '../../../../cluster/records.js';
import { hostIndex } from '../../../../cluster/subnets.js';
import { networkAddress, parsePrefix, type IpPrefix } from '../../../../addressing/ipnet.js';
import { vtepAddressOf } from './device.js';

export interface PeerObjects {
  /** Destination → via a gateway (onlink) or through a nexthop id. */
  routes: Map<string, { gateway: string } | { nhid: number }>;
  /** VTEP address → VTEP MAC. */
  neighbours: Map<string, string>;
  /** VTEP MAC → underlay address ('' for an entry without one). */
  fdb: Map<string, string>;
  /** Nexthop id → VTEP address. */
  nexthops: Map<number, string>;
}

export const emptyObjects = (): PeerObjects => ({ routes: new Map(), neighbours: new Map(), fdb: new Map(), nexthops: new Map() });

/**
 * Past this many remote hosts a network's routes go through nexthop objects
 * (the agent's default). Filling an empty device costs the kernel about the
 * same either way at ~250-500 hosts; routes with their own gateways grow
 * faster than linearly past that (1,000 hosts: ~1.6× the kernel time of
 * nexthops; 10,000: 4.6-9.5×), while below it a host's 3 objects beat 4.
 */
export const NEXTHOP_THRESHOLD = 500;

export interface PeerLayout {
  /** The cluster CIDR: a host's index in it numbers its nexthop object. */
  clusterSubnet: string;
  /** The network's slot (1-255): the high byte of its nexthop ids, so that networks never share one. */
  nexthopSlot: number;
  useNexthops: boolean;
}

/** A nexthop id unique per network and remote host. */
export function nexthopId(layout: PeerLayout, hostSubnet: string): number {
  return layout.nexthopSlot * 2 ** 24 + hostIndex(layout.clusterSubnet, hostSubnet) + 1;
}

/** nexthopId for many hosts: the cluster CIDR parsed once, each host's subnet already parsed. */
function nexthopIds(layout: PeerLayout): (hostSubnet: IpPrefix) => number {
  const base = networkAddress(parsePrefix(layout.clusterSubnet, 'subnet')).value;
  const slot = layout.nexthopSlot * 2 ** 24;
  return (h) => slot + Number((h.address - base) >> BigInt(32 - h.prefixLength)) + 1;
}

/** The objects the remote hosts' VTEP records call for. */
export function desiredObjects(peers: readonly VtepRecord[], layout: PeerLayout): PeerObjects {
  const out = emptyObjects();
  // Each subnet is parsed once for both its VTEP address and its nexthop id: a full sync does thousands.
  const idOf = layout.useNexthops ? nexthopIds(layout) : undefined;
  for (const p of peers) {
    const subnet = parsePrefix(p.subnet, 'subnet');
    const vtep = vtepAddressOf(subnet);
    if (idOf) {
      const id = idOf(subnet);
      out.nexthops.set(id, vtep);
      out.routes.set(p.subnet, { nhid: id });
    } else {
      out.routes.set(p.subnet, { gateway: vtep });
    }
    out.neighbours.set(vtep, p.vtepMac);
    out.fdb.set(p.vtepMac, p.underlay);
  }
  return out;
}

/** The objects the kernel holds on the VXLAN device (ifindex `index`). */
export function kernelObjects(index: number, routes: readonly Route[], neighbours: readonly Neighbour[], fdb: readonly Neighbour[], nexthops: readonly Nexthop[]): PeerObjects {
  const out = emptyObjects();
  for (const r of routes) {
    if (r.index !== index || r.table !== 254 || r.family !== 4 || r.protocol === 'kernel') continue;
    out.routes.set(r.destination, r.nhid !== undefined ? { nhid: r.nhid } : { gateway: r.gateway ?? '' });
  }
  for (const n of neighbours) if (n.index === index && n.family === 4 && n.address) out.neighbours.set(n.address, n.lladdr ?? '');
  for (const e of fdb) if (e.index === index && e.lladdr) out.fdb.set(e.lladdr, e.dst ?? '');
  for (const h of nexthops) if (h.index === index) out.nexthops.set(h.id, h.gateway ?? '');
  return out;
}

const sameRoute = (a: { gateway: string } | { nhid: number }, b: { gateway: string } | { nhid: number }): boolean =>
  'nhid' in a ? 'nhid' in b && a.nhid === b.nhid : 'gateway' in b && a.gateway === b.gateway;

function routeChange(action: RtnlChange['action'], device: string, destination: string, via: { gateway: string } | { nhid: number }): RtnlChange {
  const args = 'nhid' in via
    ? { destination, family: 4 as const, nhid: via.nhid }
    : { destination, family: 4 as const, gateway: via.gateway, dev: device, onlink: true };
  return { action, object: 'route', args };
}

const neighChange = (action: RtnlChange['action'], device: string, address: string, lladdr: string): RtnlChange =>
  ({ action, object: 'neigh', args: { dev: device, address, ...(lladdr ? { lladdr } : { state: 'noarp' }), ...(action === 'delete' ? {} : { state: 'permanent' }) } });

const fdbChange = (action: RtnlChange['action'], device: string, lladdr: string, dst: string): RtnlChange =>
  ({ action, object: 'neigh', args: { family: 'bridge', dev: device, lladdr, ...(dst ? { dst } : {}), state: 'permanent' } });

const nexthopChange = (action: RtnlChange['action'], device: string, id: number, gateway: string): RtnlChange =>
  ({ action, object: 'nexthop', args: { id, gateway, dev: device, onlink: true } });

/**
 * The changes between two maps of one kind of object: deletes of what `to`
 * lacks, adds of what `from` lacks, and replaces (with what was there as
 * their undo) of what differs.
 */
function diffMap<K, V>(
  from: ReadonlyMap<K, V>,
  to: ReadonlyMap<K, V>,
  same: (a: V, b: V) => boolean,
  change: (action: RtnlChange['action'], key: K, value: V) => RtnlChange,
): { deletes: RtnlChange[]; upserts: RtnlChange[] } {
  const deletes: RtnlChange[] = [];
  const upserts: RtnlChange[] = [];
  for (const [k, v] of from) if (!to.has(k)) deletes.push(change('delete', k, v));
  for (const [k, v] of to) {
    const had = from.get(k);
    if (had === undefined) upserts.push(change('add', k, v));
    else if (!same(had, v)) upserts.push({ ...change('replace', k, v), before: change('add', k, had).args } as RtnlChange);
  }
  return { deletes, upserts };
}

/**
 * The changes that turn `from` into `to` on `device`: nothing for what both
 * hold, one change per object that differs. A host joining is 3 adds, one
 * leaving 3 deletes (4 each with nexthops).
 */
export function diffObjects(device: string, from: PeerObjects, to: PeerObjects): RtnlChange[] {
  const eq = (a: string, b: string): boolean => a === b;
  const nh = diffMap(from.nexthops, to.nexthops, eq, (a, id, gw) => nexthopChange(a, device, id, gw));
  const routes = diffMap(from.routes, to.routes, sameRoute, (a, dst, via) => routeChange(a, device, dst, via));
  const neigh = diffMap(from.neighbours, to.neighbours, eq, (a, ip, mac) => neighChange(a, device, ip, mac));
  const fdb = diffMap(from.fdb, to.fdb, eq, (a, mac, dst) => fdbChange(a, device, mac, dst));
  // Nexthops before the routes that use them, and after the routes that leave them.
  return [...nh.upserts, ...routes.deletes, ...routes.upserts, ...nh.deletes, ...neigh.deletes, ...neigh.upserts, ...fdb.deletes, ...fdb.upserts];
}

/**
 * The changes for some remote hosts only (`touched`, by subnet): what their
 * records called for before against what they call for now. A store event
 * costs this much, however many hosts the network has; `before` must be what
 * the kernel was last programmed with.
 */
export function peerChanges(
  device: string,
  layout: PeerLayout,
  before: ReadonlyMap<string, VtepRecord>,
  after: ReadonlyMap<string, VtepRecord>,
  touched: Iterable<string>,
): RtnlChange[] {
  const was: VtepRecord[] = [];
  const now: VtepRecord[] = [];
  for (const subnet of new Set(touched)) {
    const b = before.get(subnet);
    const a = after.get(subnet);
    if (b) was.push(b);
    if (a) now.push(a);
  }
  return diffObjects(device, desiredObjects(was, layout), desiredObjects(now, layout));
}
