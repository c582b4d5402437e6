// Interface addresses (IPv4 and IPv6): add, delete, list. Call builders
// validate input and never build netlink bytes; the addon does that.
import type { Call } from '../addon/native.js';
import type { Netns } from '../kernel/netns.js';
import { ValidationError } from '../core/errors.js';
import { cidr, integer, ipAddress, type IpFamily } from '../core/validate.js';
import type { Address, AddressFlags, AddressScope, Lifetime } from '../addon/wire/addr.js';
import { interfaceArgs, scopeArg, type InterfaceSelector } from './interface.js';
import { opCall, type AddrAddArgs, type ArgsOf } from '../addon/ops.js';

export type * from '../addon/wire/addr.js';
export type { InterfaceSelector };

export type SettableAddressFlags = Partial<Pick<AddressFlags, 'nodad' | 'noprefixroute' | 'homeAddress' | 'managetempaddr'>>;

export interface AddAddressOptions extends InterfaceSelector {
  /** "10.0.0.1/24" or "fd00::1/64". */
  address: string;
  /** An IPv4 broadcast address, or true to compute it from the prefix (like `brd +`). */
  broadcast?: string | true;
  peer?: string;
  scope?: AddressScope;
  /** IPv4 only; at most 15 bytes. */
  label?: string;
  flags?: SettableAddressFlags;
  validLifetime?: Lifetime;
  preferredLifetime?: Lifetime;
  /** Update the address if it is there (NLM_F_REPLACE) instead of failing. */
  replace?: boolean;
  /** false: the address is neither echoed nor read back; the call resolves to { address } as given (for plans that keep their own record). */
  readBack?: boolean;
}

export interface DeleteAddressOptions extends InterfaceSelector {
  address: string;
  /** Resolve to false instead of failing when the address is not there. */
  ifExists?: boolean;
}

export interface ListAddressOptions extends InterfaceSelector {
  family?: IpFamily;
}

function lifetime(v: unknown, field: string): Lifetime {
  if (v === 'forever') return v;
  return integer(v, field, 0, 0xffffffff);
}

function familyArg(v: unknown): IpFamily {
  if (v !== 4 && v !== 6) throw new ValidationError('family', `family must be 4 or 6, got ${String(v)}`);
  return v;
}

export const addrCalls = {
  add(opts: AddAddressOptions): Call {
    const c = cidr(opts.address, 'address');
    const args: AddrAddArgs = { ...interfaceArgs(opts, true), address: `${c.address}/${c.prefixLength}` };
    if (opts.broadcast !== undefined) {
      if (c.family !== 4) throw new ValidationError('broadcast', 'broadcast addresses exist for IPv4 only');
      if (opts.broadcast !== true && ipAddress(opts.broadcast, 'broadcast') !== 4)
        throw new ValidationError('broadcast', 'broadcast must be an IPv4 address or true');
      args.broadcast = opts.broadcast;
    }
    if (opts.peer !== undefined) {
      const p = cidr(opts.peer, 'peer', true);
      if (p.family !== c.family) throw new ValidationError('peer', 'peer must be of the same family as address');
      args.peer = opts.peer;
    }
    if (opts.scope !== undefined) args.scope = scopeArg(opts.scope);
    if (opts.label !== undefined) {
      if (c.family !== 4) throw new ValidationError('label', 'labels exist for IPv4 addresses only');
      if (typeof opts.label !== 'string' || opts.label === '' || Buffer.byteLength(opts.label) > 15 || opts.label.includes('\0'))
        throw new ValidationError('label', 'label must be 1-15 bytes');
      args.label = opts.label;
    }
    if (opts.flags !== undefined) {
      const flags: Record<string, boolean> = {};
      for (const [k, v] of Object.entries(opts.flags)) {
        if (!['nodad', 'noprefixroute', 'homeAddress', 'managetempaddr'].includes(k) || typeof v !== 'boolean')
          throw new ValidationError('flags', `flags.${k} is not a settable address flag (nodad, noprefixroute, homeAddress, managetempaddr)`);
        flags[k] = v;
      }
      args.flags = flags;
    }
    if (opts.validLifetime !== undefined) args.validLifetime = lifetime(opts.validLifetime, 'validLifetime');
    if (opts.preferredLifetime !== undefined) args.preferredLifetime = lifetime(opts.preferredLifetime, 'preferredLifetime');
    if (opts.replace) args.replace = true;
    if (opts.readBack === false) args.readBack = false;
    return opCall('addr.add', args);
  },
  delete(opts: DeleteAddressOptions): Call {
    const c = cidr(opts.address, 'address');
    return opCall('addr.delete', { ...interfaceArgs(opts, true), address: `${c.address}/${c.prefixLength}`, ifExists: opts.ifExists ?? false });
  },
  list(opts: ListAddressOptions = {}): Call {
    const args: ArgsOf<'addr.list'> = interfaceArgs(opts, false);
    if (opts.family !== undefined) args.family = familyArg(opts.family);
    return opCall('addr.list', args);
  },
};

export class Addresses {
  constructor(private readonly ns: Netns) {}

  /** Adds an address; resolves to it as the kernel reports it. */
  async add(opts: AddAddressOptions): Promise<Address> {
    const [a] = await this.ns.exec([addrCalls.add({ ...opts, readBack: true })]);
    return a as Address;
  }

  /** Deletes an address; false when it was absent and `ifExists` was set. */
  async delete(opts: DeleteAddressOptions): Promise<boolean> {
    const [r] = await this.ns.exec([addrCalls.delete(opts)]);
    return r as boolean;
  }

  /** Addresses of the namespace, of one interface and/or one family if asked. */
  async list(opts: ListAddressOptions = {}): Promise<Address[]> {
    const [r] = await this.ns.exec([addrCalls.list(opts)]);
    return r as Address[];
  }
}
