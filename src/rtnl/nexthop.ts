// Nexthop objects (kernel 5.3+): a gateway and device kept once under an id,
// that routes name with `nhid`. Ten thousand routes through their own
// gateways cost the kernel several times what the same routes through
// nexthop objects cost (bench/overlay.mjs).
import type { Call } from '../addon/native.js';
import type { Netns } from '../kernel/netns.js';
import { ValidationError } from '../core/errors.js';
import { integer, ipAddress } from '../core/validate.js';
import { interfaceArgs, type InterfaceSelector } from './interface.js';
import { opCall, type NexthopArgs } from '../addon/ops.js';
import type { Nexthop } from '../addon/wire/nexthop.js';

export type * from '../addon/wire/nexthop.js';

export interface NexthopOptions extends InterfaceSelector {
  /** 1-4294967295, unique in the namespace. */
  id: number;
  gateway?: string;
  /** Treat the gateway as directly reachable on dev even without a matching prefix. */
  onlink?: boolean;
  /** Drop what is routed through it (takes neither gateway nor dev). */
  blackhole?: boolean;
}

const nexthopId = (v: unknown): number => integer(v, 'id', 1, 0xffffffff);

export function nexthopArgs(o: NexthopOptions): NexthopArgs {
  if (o === null || typeof o !== 'object') throw new ValidationError('options', 'a nexthop needs options: { id, gateway?, dev }');
  const args: NexthopArgs = { id: nexthopId(o.id) };
  if (o.blackhole) {
    if (o.gateway !== undefined || o.dev !== undefined || o.index !== undefined)
      throw new ValidationError('blackhole', 'a blackhole nexthop takes neither gateway nor dev');
    args.blackhole = true;
    return args;
  }
  Object.assign(args, interfaceArgs(o, true));
  if (o.gateway !== undefined) {
    ipAddress(o.gateway, 'gateway');
    args.gateway = o.gateway;
  }
  if (o.onlink) {
    if (o.gateway === undefined) throw new ValidationError('onlink', 'onlink needs a gateway');
    args.onlink = true;
  }
  return args;
}

export const nexthopCalls = {
  /** Fails with AlreadyExistsError when the id is taken; undo deletes it. */
  add(o: NexthopOptions): Call {
    return opCall('nexthop.add', nexthopArgs(o));
  },
  /** The kernel deletes the routes that use it with it. */
  delete(id: number, opts: { ifExists?: boolean } = {}): Call {
    return opCall('nexthop.delete', { id: nexthopId(id), ifExists: opts.ifExists ?? false });
  },
  /** Every nexthop object, or those leaving by one device. */
  list(sel: InterfaceSelector = {}): Call {
    return opCall('nexthop.list', interfaceArgs(sel, false));
  },
};

export class Nexthops {
  constructor(private readonly ns: Netns) {}

  async add(o: NexthopOptions): Promise<void> {
    await this.ns.exec([nexthopCalls.add(o)]);
  }

  /** False when there was none and `ifExists` was set. */
  async delete(id: number, opts: { ifExists?: boolean } = {}): Promise<boolean> {
    const [r] = await this.ns.exec([nexthopCalls.delete(id, opts)]);
    return r as boolean;
  }

  async list(sel: InterfaceSelector = {}): Promise<Nexthop[]> {
    const [r] = await this.ns.exec([nexthopCalls.list(sel)]);
    return r as Nexthop[];
  }
}
