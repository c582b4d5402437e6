// Neighbour entries: ARP (IPv4) and NDP (IPv6) entries, and bridge FDB
// entries (a MAC on a bridge port, or a MAC behind a remote VXLAN endpoint).
import type { Call } from '../addon/native.js';
import type { Netns } from '../kernel/netns.js';
import { ValidationError } from '../core/errors.js';

import type { Neighbour } from '../addon/wire/neigh.js';

export type * from '../addon/wire/neigh.js';
import { integer, ipAddress, macAddress, oneOf, type IpFamily } from '../core/validate.js';
import { interfaceArgs, type InterfaceSelector } from './interface.js';
import { opCall, type ArgsOf, type NeighAddArgs } from '../addon/ops.js';

export interface AddNeighbourOptions extends InterfaceSelector {
  /** Left out for ARP/NDP entries (the address gives the family). */
  family?: undefined;
  address: string;
  /** Required unless state is 'noarp'. */
  lladdr?: string;
  /** Default 'permanent'. */
  state?: 'permanent' | 'reachable' | 'stale' | 'noarp';
  /** IPv6 only: the neighbour is a router. */
  router?: boolean;
  replace?: boolean;
}

export interface AddFdbOptions extends InterfaceSelector {
  family: 'bridge';
  lladdr: string;
  /** Remote VTEP address, for a vxlan device. */
  dst?: string;
  vni?: number;
  /** Remote UDP port, for a vxlan device. */
  port?: number;
  vlan?: number;
  /** Entry in the bridge's table (for a bridge port). */
  master?: boolean;
  /** Entry in the device's own table (default when neither is given, as bridge(8)). */
  self?: boolean;
  /** Default 'static' (forwarded); 'permanent' means delivered to the bridge itself. */
  state?: 'permanent' | 'static' | 'dynamic';
  replace?: boolean;
}

export interface DeleteNeighbourOptions extends InterfaceSelector {
  family?: undefined;
  address: string;
  ifExists?: boolean;
}

export interface DeleteFdbOptions extends InterfaceSelector {
  family: 'bridge';
  lladdr: string;
  dst?: string;
  vni?: number;
  vlan?: number;
  master?: boolean;
  self?: boolean;
  ifExists?: boolean;
}

export interface ListNeighbourOptions extends InterfaceSelector {
  /** 4 or 6 for ARP or NDP only, 'bridge' for the FDB; ARP and NDP when left out. */
  family?: IpFamily | 'bridge';
}

function fdbArgs(opts: AddFdbOptions | DeleteFdbOptions): NeighAddArgs {
  const args: NeighAddArgs = {
    ...interfaceArgs(opts, true),
    family: 'bridge',
    lladdr: macAddress(opts.lladdr, 'lladdr'),
  };
  if (opts.dst !== undefined) {
    ipAddress(opts.dst, 'dst');
    args.dst = opts.dst;
  }
  if (opts.vni !== undefined) args.vni = integer(opts.vni, 'vni', 0, 0xffffff);
  if (opts.vlan !== undefined) args.vlan = integer(opts.vlan, 'vlan', 1, 4094);
  if (opts.master !== undefined) args.master = opts.master === true;
  if (opts.self !== undefined) args.self = opts.self === true;
  return args;
}

export const neighCalls = {
  add(opts: AddNeighbourOptions | AddFdbOptions): Call {
    if (opts.family === 'bridge') {
      const args = fdbArgs(opts);
      if (opts.port !== undefined) args.port = integer(opts.port, 'port', 1, 65535);
      if (opts.state !== undefined) args.state = oneOf(opts.state, 'state', ['permanent', 'static', 'dynamic'] as const);
      if (opts.replace) args.replace = true;
      return opCall('neigh.add', args);
    }
    if ((opts as { family?: unknown }).family !== undefined)
      throw new ValidationError('family', "family must be 'bridge' for an FDB entry, or left out");
    const family = ipAddress(opts.address, 'address');
    const args: NeighAddArgs = { ...interfaceArgs(opts, true), address: opts.address };
    const state = oneOf(opts.state ?? 'permanent', 'state', ['permanent', 'reachable', 'stale', 'noarp'] as const);
    args.state = state;
    if (opts.lladdr !== undefined) args.lladdr = macAddress(opts.lladdr, 'lladdr');
    else if (state !== 'noarp') throw new ValidationError('lladdr', 'lladdr (a MAC address) is required unless state is noarp');
    if (opts.router) {
      if (family !== 6) throw new ValidationError('router', 'the router flag exists for IPv6 neighbours only');
      args.router = true;
    }
    if (opts.replace) args.replace = true;
    return opCall('neigh.add', args);
  },
  delete(opts: DeleteNeighbourOptions | DeleteFdbOptions): Call {
    if (opts.family === 'bridge') return opCall('neigh.delete', { ...fdbArgs(opts), ifExists: opts.ifExists ?? false });
    ipAddress(opts.address, 'address');
    return opCall('neigh.delete', { ...interfaceArgs(opts, true), address: opts.address, ifExists: opts.ifExists ?? false });
  },
  list(opts: ListNeighbourOptions = {}): Call {
    const args: ArgsOf<'neigh.list'> = interfaceArgs(opts, false);
    if (opts.family !== undefined) {
      if (opts.family !== 4 && opts.family !== 6 && opts.family !== 'bridge')
        throw new ValidationError('family', "family must be 4, 6 or 'bridge'");
      args.family = opts.family;
    }
    return opCall('neigh.list', args);
  },
};

export class Neighbours {
  constructor(private readonly ns: Netns) {}

  async add(opts: AddNeighbourOptions | AddFdbOptions): Promise<void> {
    await this.ns.exec([neighCalls.add(opts)]);
  }

  /** False when the entry was absent and `ifExists` was set. */
  async delete(opts: DeleteNeighbourOptions | DeleteFdbOptions): Promise<boolean> {
    const [r] = await this.ns.exec([neighCalls.delete(opts)]);
    return r as boolean;
  }

  async list(opts: ListNeighbourOptions = {}): Promise<Neighbour[]> {
    const [r] = await this.ns.exec([neighCalls.list(opts)]);
    return r as Neighbour[];
  }
}
