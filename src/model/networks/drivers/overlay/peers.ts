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
import { vtepAddress } from './device.js';

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

/** The objects the remote hosts' VTEP records call for. */
export function desiredObjects(peers: readonly VtepRecord[], layout: PeerLayout): PeerObjects {
  const out = emptyObjects();
  for (const p of peers) {
    const vtep = vtepAddress(p.subnet);
    if (layout.useNexthops) {
      const id = nexthopId(layout, p.subnet);
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
 * The changes that turn `from` into `to` on `device`: nothing for what both
 * hold, one change per object that differs. A host joining is 3 adds, one
 * leaving 3 deletes (4 each with nexthops).
 */
export function diffObjects(device: string, from: PeerObjects, to: PeerObjects): RtnlChange[] {
  const nhAdd: RtnlChange[] = [];
  const nhDel: RtnlChange[] = [];
  for (const [id, gw] of to.nexthops) {
    const had = from.nexthops.get(id);
    if (had === undefined) nhAdd.push(nexthopChange('add', device, id, gw));
    else if (had !== gw) nhAdd.push({ ...nexthopChange('replace', device, id, gw), before: nexthopChange('add', device, id, had).args } as RtnlChange);
  }
  for (const [id, gw] of from.nexthops) if (!to.nexthops.has(id)) nhDel.push(nexthopChange('delete', device, id, gw));

  const routes: RtnlChange[] = [];
  for (const [dst, via] of from.routes) if (!to.routes.has(dst)) routes.push(routeChange('delete', device, dst, via));
  for (const [dst, via] of to.routes) {
    const had = from.routes.get(dst);
    if (had === undefined) routes.push(routeChange('add', device, dst, via));
    else if (!sameRoute(had, via)) routes.push({ ...routeChange('replace', device, dst, via), before: routeChange('add', device, dst, had).args } as RtnlChange);
  }

  const neigh: RtnlChange[] = [];
  for (const [ip, mac] of from.neighbours) if (!to.neighbours.has(ip)) neigh.push(neighChange('delete', device, ip, mac));
  for (const [ip, mac] of to.neighbours) {
    const had = from.neighbours.get(ip);
    if (had === undefined) neigh.push(neighChange('add', device, ip, mac));
    else if (had !== mac) neigh.push({ ...neighChange('replace', device, ip, mac), before: neighChange('add', device, ip, had).args } as RtnlChange);
  }

  const fdb: RtnlChange[] = [];
  for (const [mac, dst] of from.fdb) if (!to.fdb.has(mac)) fdb.push(fdbChange('delete', device, mac, dst));
  for (const [mac, dst] of to.fdb) {
    const had = from.fdb.get(mac);
    if (had === undefined) fdb.push(fdbChange('add', device, mac, dst));
    else if (had !== dst) fdb.push({ ...fdbChange('replace', device, mac, dst), before: fdbChange('add', device, mac, had).args } as RtnlChange);
  }
  return [...nhAdd, ...routes, ...nhDel, ...neigh, ...fdb];
}
