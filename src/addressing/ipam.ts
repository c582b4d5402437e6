// Docker-compatible address management. Everything works on a plain,
// JSON-serialisable PoolState that the caller loads and saves under the state
// lock, so allocation is deterministic and two processes never hand out the
// same address as long as they hold the lock around load → allocate → save.
import { ValidationError } from '../core/errors.js';
import { AddressInUseError, PoolExhaustedError } from '../core/errors.js';
import {
  broadcastAddress,
  contains,
  formatAddress,
  formatPrefix,
  isNetworkAligned,
  network,
  networkAddress,
  overlaps,
  parseAddress,
  parsePrefix,
  type IpAddr,
  type IpFamily,
  type IpPrefix,
} from './ipnet.js';

/** One entry of dockerd's `default-address-pools`: `base` is cut into subnets of prefix length `size`. */
export interface AddressPool {
  base: string;
  size: number;
}

/**
 * dockerd's built-in local-scope pools: 172.17.0.0/16 … 172.31.0.0/16 as /16s
 * (moby ipamutils lists 172.17, 172.18, 172.19, then 172.20/14, 172.24/14,
 * 172.28/14 cut into /16), then 192.168.0.0/16 cut into /20s.
 */
export const DEFAULT_ADDRESS_POOLS: readonly AddressPool[] = [
  ...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 16 })),
  { base: '192.168.0.0/16', size: 20 },
];

/** docker0's subnet unless configured otherwise; its gateway is the first host, 172.17.0.1. */
export const DEFAULT_BRIDGE_SUBNET = '172.17.0.0/16';

/** A subnet that already belongs to a network, named so that errors can say which. */
export interface NetworkSubnet {
  subnet: string;
  network?: string;
}

export interface PoolRequest {
  /** CIDR with host bits clear, as `docker network create --subnet`; omitted: picked from the pools. */
  subnet?: string;
  /** `--gateway`; omitted: the first host of the subnet. */
  gateway?: string;
  /** `--ip-range`: automatic addresses come from here only. */
  ipRange?: string;
  /** Family of an automatic subnet (default 4). */
  family?: IpFamily;
  /** `--aux-address NAME=IP`: addresses of the subnet that are never handed out (a router, a printer). */
  auxAddresses?: Record<string, string>;
}

export interface PoolContext {
  /** Subnets of the networks that exist: a new subnet may overlap none of them. */
  networks?: readonly NetworkSubnet[];
  /**
   * Prefixes in use on the host (its routes and addresses). Like dockerd, only
   * automatic subnets avoid them; an explicit --subnet is the user's call.
   */
  inUse?: readonly string[];
  /** Pools for automatic subnets (default DEFAULT_ADDRESS_POOLS). */
  pools?: readonly AddressPool[];
}

/** The persisted state of one network's pool (one per family). */
export interface PoolState {
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** The subnet was given by the user; only then does Docker accept a static --ip. */
  userConfigured: boolean;
  /** Canonical address → owner (endpoint id). */
  allocated: Record<string, string>;
  /** The last address handed out automatically: the next search starts after it (Docker's serial allocation). */
  last?: string;
  /** Reserved addresses by name (canonical), as Docker's IPAM AuxiliaryAddresses. */
  auxAddresses?: Record<string, string>;
}

/** Every subnet of the pools, in dockerd's order. */
export function* candidateSubnets(pools: readonly AddressPool[] = DEFAULT_ADDRESS_POOLS): Generator<IpPrefix> {
  for (const [i, pool] of pools.entries()) {
    const base = network(parsePrefix(pool.base, `pools[${i}].base`));
    const max = base.family === 4 ? 32 : 128;
    if (!Number.isInteger(pool.size) || pool.size < base.prefixLength || pool.size > max)
      throw new ValidationError(
        `pools[${i}].size`,
        `pool ${pool.base} cannot be cut into /${pool.size} subnets: size must be from ${base.prefixLength} to ${max}`,
      );
    const step = 1n << BigInt(max - pool.size);
    const end = broadcastAddress(base).value;
    for (let a = base.address; a <= end; a += step) yield { family: base.family, address: a, prefixLength: pool.size };
  }
}

/** The first subnet of the pools that overlaps no network and no prefix in use on the host. */
export function pickSubnet(ctx: PoolContext = {}, family: IpFamily = 4): IpPrefix {
  const taken = [
    ...(ctx.networks ?? []).map((n, i) => parsePrefix(n.subnet, `networks[${i}].subnet`)),
    ...(ctx.inUse ?? []).map((p, i) => parsePrefix(p, `inUse[${i}]`, true)),
  ].filter((p) => p.family === family);
  for (const candidate of candidateSubnets(ctx.pools)) {
    if (candidate.family !== family) continue;
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  throw new PoolExhaustedError(
    'default-address-pools',
    `all predefined address pools have been fully subnetted: no free IPv${family} subnet is left`,
  );
}

function describeNetwork(n: NetworkSubnet): string {
  return n.network !== undefined ? `network '${n.network}' (${n.subnet})` : `subnet ${n.subnet}`;
}

/** IPv4 prefixes up to /30 keep their first and last address for network and broadcast (RFC 3021 frees /31 and /32). */
function reservesEnds(subnet: IpPrefix): boolean {
  return subnet.family === 4 && subnet.prefixLength < 31;
}

function isReserved(subnet: IpPrefix, a: IpAddr): boolean {
  if (a.value === networkAddress(subnet).value) return subnet.family === 6 || reservesEnds(subnet);
  return reservesEnds(subnet) && a.value === broadcastAddress(subnet).value;
}

/** Validates a network's IPAM request like `docker network create` and returns its empty pool. */
export function createPool(req: PoolRequest = {}, ctx: PoolContext = {}): PoolState {
  let subnet: IpPrefix;
  const userConfigured = req.subnet !== undefined;
  if (req.subnet !== undefined) {
    subnet = parsePrefix(req.subnet, 'subnet');
    if (!isNetworkAligned(subnet))
      throw new ValidationError(
        'subnet',
        `invalid subnet ${req.subnet}: it has host bits set; did you mean ${formatPrefix(network(subnet))}?`,
      );
    for (const [i, n] of (ctx.networks ?? []).entries()) {
      if (overlaps(parsePrefix(n.subnet, `networks[${i}].subnet`), subnet))
        throw new ValidationError(
          'subnet',
          `subnet ${formatPrefix(subnet)} overlaps ${describeNetwork(n)}; choose a subnet that no other network uses`,
        );
    }
  } else {
    if (req.gateway !== undefined || req.ipRange !== undefined)
      throw new ValidationError(
        req.gateway !== undefined ? 'gateway' : 'ipRange',
        `a ${req.gateway !== undefined ? 'gateway' : 'ip-range'} needs an explicit subnet`,
      );
    subnet = pickSubnet(ctx, req.family ?? 4);
  }
  if (req.family !== undefined && req.family !== subnet.family)
    throw new ValidationError('subnet', `subnet ${formatPrefix(subnet)} is not an IPv${req.family} subnet`);

  let ipRange: IpPrefix | undefined;
  if (req.ipRange !== undefined) {
    ipRange = parsePrefix(req.ipRange, 'ipRange');
    if (!isNetworkAligned(ipRange))
      throw new ValidationError(
        'ipRange',
        `invalid ip-range ${req.ipRange}: it has host bits set; did you mean ${formatPrefix(network(ipRange))}?`,
      );
    if (!contains(subnet, ipRange))
      throw new ValidationError('ipRange', `ip-range ${req.ipRange} is not inside subnet ${formatPrefix(subnet)}`);
  }

  let gateway: IpAddr;
  if (req.gateway !== undefined) {
    gateway = parseAddress(req.gateway, 'gateway');
    if (!contains(subnet, gateway))
      throw new ValidationError('gateway', `gateway ${req.gateway} is not inside subnet ${formatPrefix(subnet)}`);
    if (isReserved(subnet, gateway))
      throw new ValidationError(
        'gateway',
        `gateway ${req.gateway} is the network or broadcast address of subnet ${formatPrefix(subnet)}`,
      );
  } else {
    const size = 1n << BigInt((subnet.family === 4 ? 32 : 128) - subnet.prefixLength);
    if (reservesEnds(subnet) && size < 4n)
      throw new ValidationError('subnet', `subnet ${formatPrefix(subnet)} has no room for a gateway`);
    const first = networkAddress(subnet).value + (reservesEnds(subnet) || subnet.family === 6 ? 1n : 0n);
    gateway = { family: subnet.family, value: first };
  }

  const pool: PoolState = {
    subnet: formatPrefix(subnet),
    gateway: formatAddress(gateway),
    userConfigured,
    allocated: {},
  };
  if (ipRange) pool.ipRange = formatPrefix(ipRange);
  if (req.auxAddresses !== undefined && Object.keys(req.auxAddresses).length > 0) pool.auxAddresses = auxAddresses(req.auxAddresses, subnet, gateway, userConfigured);
  return pool;
}

/** Checks `--aux-address` entries as dockerd does: each a host address of the user's subnet, none the gateway. */
function auxAddresses(given: Record<string, string>, subnet: IpPrefix, gateway: IpAddr, userConfigured: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const byAddress = new Map<string, string>();
  for (const [name, text] of Object.entries(given)) {
    if (name === '') throw new ValidationError('auxAddresses', `aux-address ${text} needs a name: NAME=IP`);
    const a = parseAddress(text, `auxAddresses.${name}`);
    if (!userConfigured || !contains(subnet, a))
      throw new ValidationError('auxAddresses', `no matching subnet for aux-address ${text}${userConfigured ? `: it is outside ${formatPrefix(subnet)}` : ': give the network a --subnet that holds it'}`);
    if (isReserved(subnet, a)) throw new ValidationError('auxAddresses', `aux-address ${text} is the network or broadcast address of ${formatPrefix(subnet)}`);
    if (a.value === gateway.value) throw new AddressInUseError(text, `aux-address ${name}=${text} is the network's gateway`);
    const canonical = formatAddress(a);
    const other = byAddress.get(canonical);
    if (other !== undefined) throw new AddressInUseError(text, `aux-addresses ${other} and ${name} are both ${canonical}`);
    byAddress.set(canonical, name);
    out[name] = canonical;
  }
  return out;
}

/** The name an address is reserved under, if it is an aux-address of the pool. */
function auxName(pool: PoolState, text: string): string | undefined {
  for (const [name, a] of Object.entries(pool.auxAddresses ?? {})) if (a === text) return name;
  return undefined;
}

/** docker0's pool: 172.17.0.0/16 when free, else the first free pool subnet, like dockerd. */
export function defaultBridgePool(ctx: PoolContext = {}, subnet?: string): PoolState {
  if (subnet !== undefined) return { ...createPool({ subnet }, ctx), userConfigured: false };
  const wanted = parsePrefix(DEFAULT_BRIDGE_SUBNET);
  const taken = [...(ctx.networks ?? []).map((n) => n.subnet), ...(ctx.inUse ?? [])].map((p) =>
    parsePrefix(p, 'inUse', true),
  );
  const free = !taken.some((t) => overlaps(t, wanted));
  return free ? { ...createPool({ subnet: DEFAULT_BRIDGE_SUBNET }, ctx), userConfigured: false } : createPool({}, ctx);
}

/**
 * Whether an address is taken. By default the pool's `allocated` map says;
 * a caller that keeps allocations elsewhere (one document per address) asks
 * its store instead, so that allocating never has to read them all.
 */
export type TakenCheck = (address: string) => boolean;

function usable(pool: PoolState, subnet: IpPrefix, a: IpAddr, gateway: IpAddr, taken: TakenCheck): boolean {
  if (isReserved(subnet, a) || a.value === gateway.value) return false;
  const text = formatAddress(a);
  return !(text in pool.allocated) && !taken(text) && auxName(pool, text) === undefined;
}

/**
 * Hands out the next free address of the ip-range (or subnet) to `owner`:
 * searching from just after the last one handed out and wrapping once, so a
 * released address is not reused at once (Docker's serial allocation).
 */
export function allocate(pool: PoolState, owner: string, taken: TakenCheck = () => false): string {
  const subnet = parsePrefix(pool.subnet);
  const range = parsePrefix(pool.ipRange ?? pool.subnet);
  const gateway = parseAddress(pool.gateway);
  const lo = networkAddress(range).value;
  const hi = broadcastAddress(range).value;
  let start = lo;
  if (pool.last !== undefined) {
    const last = parseAddress(pool.last).value;
    if (last >= lo && last < hi) start = last + 1n;
  }
  const scan = (from: bigint, to: bigint): string | undefined => {
    for (let v = from; v <= to; v++) {
      const a: IpAddr = { family: range.family, value: v };
      if (usable(pool, subnet, a, gateway, taken)) return formatAddress(a);
    }
    return undefined;
  };
  const found = scan(start, hi) ?? scan(lo, start - 1n);
  if (found === undefined)
    throw new PoolExhaustedError(
      pool.ipRange ?? pool.subnet,
      `no available IPv${range.family} addresses on this network's address pool ${pool.ipRange ?? pool.subnet}`,
    );
  pool.allocated[found] = owner;
  pool.last = found;
  return found;
}

/** Gives `address` (a `--ip` request) to `owner`; it may lie outside the ip-range but must be inside the subnet. */
export function allocateStatic(pool: PoolState, address: string, owner: string, taken: TakenCheck = () => false): string {
  if (!pool.userConfigured)
    throw new ValidationError(
      'ip',
      `a static IP address (${address}) is supported only on networks with a user-configured subnet`,
    );
  const subnet = parsePrefix(pool.subnet);
  const a = parseAddress(address, 'ip');
  const text = formatAddress(a);
  if (!contains(subnet, a))
    throw new ValidationError('ip', `address ${address} is not inside the network's subnet ${pool.subnet}`);
  if (isReserved(subnet, a))
    throw new ValidationError('ip', `address ${address} is the network or broadcast address of ${pool.subnet}`);
  if (text === pool.gateway)
    throw new AddressInUseError(text, `address ${address} is the gateway of the network's subnet ${pool.subnet}`);
  const aux = auxName(pool, text);
  if (aux !== undefined) throw new AddressInUseError(text, `address ${address} is reserved as the network's aux-address '${aux}'`);
  const holder = pool.allocated[text] ?? (taken(text) ? '' : undefined);
  if (holder !== undefined)
    throw new AddressInUseError(
      text,
      holder === owner
        ? `address ${address} is already held by ${owner}`
        : `address ${address} is already in use${holder ? ` by ${holder}` : ''}`,
    );
  pool.allocated[text] = owner;
  return text;
}

/** Frees an address; returns whether it was allocated. Idempotent, so teardown can repeat it. */
export function release(pool: PoolState, address: string): boolean {
  const text = formatAddress(parseAddress(address));
  if (!(text in pool.allocated)) return false;
  delete pool.allocated[text];
  return true;
}

/** Frees every address held by `owner`; returns them. */
export function releaseOwner(pool: PoolState, owner: string): string[] {
  const freed = Object.entries(pool.allocated)
    .filter(([, o]) => o === owner)
    .map(([a]) => a);
  for (const a of freed) delete pool.allocated[a];
  return freed;
}

/** The prefix length of the pool's subnet, for `address/prefix` on the endpoint. */
export function prefixLength(pool: PoolState): number {
  return parsePrefix(pool.subnet).prefixLength;
}
