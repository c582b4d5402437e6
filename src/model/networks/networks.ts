// Networks (the bridge driver): create, list, inspect, remove, prune, and the
// default network `bridge` (docker0's equivalent) made on first use.
import { AlreadyExistsError, StateError, ValidationError } from '../../core/errors.js';
import { createPool, DEFAULT_BRIDGE_SUBNET, defaultBridgePool, type PoolState } from '../../addressing/ipam.js';
import { canonicalAddress } from '../../addressing/ipnet.js';
import { routeCalls, type Route } from '../../rtnl/route.js';
import { linkCalls, type Link } from '../../rtnl/link.js';
import { Nftables } from '../../nft/nftables.js';
import { checkOptions, interfaceName, integer, option } from '../../core/validate.js';
import type { ModelContext } from '../context.js';
import { ConflictError, NoSuchObjectError, PoolExhaustedError } from '../../core/errors.js';
import { networkInspect, networkList, type NetworkInspect } from '../inspect.js';
import { readFirewall } from '../firewall/index.js';
import { bridgeName, DEFAULT_BRIDGE_NAME, newId, objectName } from '../state/names.js';
import { NETWORKS } from '../state/state.js';
import { IPV6_MIN_MTU } from './network-calls.js';
import { makeNetwork, unmakeNetwork } from './kernel-side.js';
import type { NetworkRecord } from '../state/records.js';
import { detachNetwork } from '../sandboxes/sandbox-ops.js';
import { dropPoolEntries, ownedNamespaces } from '../sandboxes/pool-records.js';
import { allocateAddresses } from '../sandboxes/ipam-ops.js';
import { driverOf, hasBridge, isStacked } from './drivers/index.js';
import { explainStackedFailure, stackedNetworkRecord } from './drivers/stacked.js';
import type { DriverCreateInput } from './drivers/input.js';
import type { NetworkDriver } from '../state/records.js';

export const DEFAULT_NETWORK = 'bridge';
/** Names of network modes, never of networks a user creates. */
const RESERVED = new Set(['bridge', 'host', 'none', 'default']);

/** The options of every driver (drivers/input.ts), and which driver. */
export interface NetworkCreateOptions extends DriverCreateInput {
  /**
   * bridge (default); overlay (cluster-wide over VXLAN: needs the engine's
   * cluster option; options vni, host-subnet-size, vxlan-port); macvlan or
   * ipvlan (options parent, macvlan_mode / ipvlan_mode, ipvlan_flag).
   */
  driver?: NetworkDriver;
}

/** The kinds of NetworkCreateOptions, for callers from plain JavaScript. */
const CREATE_OPTIONS = {
  driver: option.string,
  name: option.string,
  subnet: option.string,
  gateway: option.string,
  ipRange: option.string,
  auxAddresses: option.stringMap,
  ipv6: option.object,
  internal: option.boolean,
  icc: option.boolean,
  masquerade: option.boolean,
  mtu: option.integer,
  bridge: option.string,
  hostBinding: option.string,
  labels: option.stringMap,
  options: option.stringMap,
};

/** The MTU a network may have: IPv6 needs 1280 at least. */
export function networkMtu(mtu: unknown, ipv6: boolean, field = 'mtu'): number {
  const m = integer(mtu, field, 68, 65535);
  if (ipv6 && m < IPV6_MIN_MTU)
    throw new ValidationError(field, `${field} ${m} is below ${IPV6_MIN_MTU}, the least IPv6 works with; give an MTU of at least ${IPV6_MIN_MTU} or leave IPv6 off`);
  return m;
}

const BOOL_OPTS: Record<string, 'icc' | 'masquerade'> = {
  'com.docker.network.bridge.enable_icc': 'icc',
  'com.docker.network.bridge.enable_ip_masquerade': 'masquerade',
};

function boolOption(key: string, v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ValidationError('options', `option ${key}=${v} must be true or false`);
}

/** Folds Docker's --opt values into the typed options; explicit typed options win. */
function withDockerOptions(o: NetworkCreateOptions): NetworkCreateOptions {
  const out = { ...o };
  for (const [key, value] of Object.entries(o.options ?? {})) {
    if (typeof value !== 'string') throw new ValidationError('options', `option ${key} must be a string`);
    const flag = BOOL_OPTS[key];
    if (flag) out[flag] ??= boolOption(key, value);
    else if (key === 'com.docker.network.bridge.name') out.bridge ??= value;
    else if (key === 'com.docker.network.bridge.host_binding_ipv4') out.hostBinding ??= value;
    else if (key === 'com.docker.network.driver.mtu') out.mtu ??= Number(value);
    else if (key.startsWith('com.docker.network.'))
      throw new ValidationError('options', `option ${key} is not supported by netplumb's bridge driver`);
  }
  return out;
}

/** --aux-address entries split by the family of their address, for the network's IPv4 and IPv6 pools. */
function auxByFamily(aux: Record<string, string> = {}): [Record<string, string>, Record<string, string>] {
  const v4: Record<string, string> = {};
  const v6: Record<string, string> = {};
  for (const [name, a] of Object.entries(aux)) (a.includes(':') ? v6 : v4)[name] = a;
  return [v4, v6];
}

function poolConfig(p: PoolState): NetworkRecord['ipv4'] {
  const { allocated: _a, last: _l, ...config } = p;
  return config;
}

/** A network's whole id: 64 hex digits. */
const FULL_ID = /^[0-9a-f]{64}$/;

export class Networks {
  /**
   * Network ids by name (the default network's under DEFAULT_NETWORK), as
   * last seen: a hint, checked by reading that one document (so another
   * process's removal or re-creation is noticed), never an answer by itself.
   * A lookup then reads one network document, however many there are.
   */
  private readonly seen = new Map<string, string>();

  constructor(private readonly ctx: ModelContext) {}

  /** The network the hint names for `key`, if it is still that network; undefined sends the caller to read them all. */
  private async hinted(key: string, matches: (n: NetworkRecord) => boolean): Promise<NetworkRecord | undefined> {
    const id = this.seen.get(key);
    if (id === undefined) return undefined;
    const n = await this.ctx.state.network(id).catch((e: unknown) => {
      if (e instanceof StateError) return undefined;
      throw e;
    });
    if (n && matches(n)) return n;
    this.seen.delete(key);
    return undefined;
  }

  private remember(all: readonly NetworkRecord[]): void {
    this.seen.clear();
    for (const n of all) this.seen.set(n.isDefault ? DEFAULT_NETWORK : n.name, n.id);
  }

  /** Creates a network; its bridge, gateway address and firewall rules are one kernel transaction. */
  async create(opts: NetworkCreateOptions): Promise<NetworkInspect> {
    checkOptions(opts, CREATE_OPTIONS, 'network options');
    if (opts.ipv6 !== undefined) checkOptions(opts.ipv6, { subnet: option.string, gateway: option.string }, 'ipv6', 'ipv6.');
    const driver = opts.driver ?? 'bridge';
    if (!['bridge', 'overlay', 'macvlan', 'ipvlan'].includes(driver))
      throw new ValidationError('driver', `driver must be bridge, overlay, macvlan or ipvlan, got '${String(driver)}'`);
    const name = objectName(opts.name, 'name');
    if (RESERVED.has(name))
      throw new ValidationError('name', `'${name}' is a pre-defined network mode and cannot be the name of a new network`);
    if (driver === 'overlay') {
      if (!this.ctx.cluster)
        throw new ValidationError('driver', 'overlay networks need a cluster store: open the engine with the cluster option (netplumbd --cluster-store … --advertise-addr …)');
      const made = await this.ctx.cluster.createNetwork(opts);
      return networkInspect(made, []);
    }
    if (driver !== 'bridge') return this.createStacked(driver, opts);
    const o = withDockerOptions(opts);
    if (o.mtu !== undefined) networkMtu(o.mtu, o.ipv6 !== undefined);
    if (o.bridge !== undefined) interfaceName(o.bridge, 'bridge');
    const hostBinding = o.hostBinding === undefined ? undefined : canonicalAddress(o.hostBinding, 'hostBinding');
    const record = await this.ctx.state.locked(async () => {
      const existing = await this.ctx.state.networks();
      if (existing.some((n) => n.name === name)) throw new ConflictError('name-in-use', `network with name '${name}' already exists`);
      const id = newId();
      const taken = existing.map((n) => ({ subnet: n.ipv4.subnet, network: n.name }));
      // Like dockerd, whose docker0 always exists first: the default network's subnet stays reserved for it.
      if (!existing.some((n) => n.isDefault)) taken.push({ subnet: this.ctx.defaultBridge.subnet ?? DEFAULT_BRIDGE_SUBNET, network: DEFAULT_NETWORK });
      const poolCtx = { networks: taken, inUse: await this.hostPrefixes(), ...(this.ctx.pools ? { pools: this.ctx.pools } : {}) };
      const [aux4, aux6] = auxByFamily(o.auxAddresses);
      const v4 = createPool({ subnet: o.subnet, gateway: o.gateway, ipRange: o.ipRange, family: 4, auxAddresses: aux4 }, poolCtx);
      if (!o.ipv6 && Object.keys(aux6).length > 0) throw new ValidationError('auxAddresses', `no matching subnet for aux-address ${Object.values(aux6)[0]}: the network has no IPv6 subnet`);
      const v6 = o.ipv6 ? createPool({ subnet: o.ipv6.subnet, gateway: o.ipv6.gateway, family: 6, auxAddresses: aux6 }, { networks: existing.flatMap((n) => (n.ipv6 ? [{ subnet: n.ipv6.subnet, network: n.name }] : [])) }) : undefined;
      const bridge = o.bridge ?? bridgeName(id);
      if (existing.some((n) => n.bridge === bridge))
        throw new ConflictError('name-in-use', `bridge ${bridge} already belongs to network '${existing.find((n) => n.bridge === bridge)?.name}'`);
      const n: NetworkRecord = {
        id,
        name,
        driver: 'bridge',
        isDefault: false,
        bridge,
        ipv4: poolConfig(v4),
        internal: o.internal ?? false,
        icc: o.icc ?? true,
        masquerade: o.masquerade ?? true,
        labels: { ...(o.labels ?? {}) },
        options: { ...(o.options ?? {}) },
        created: new Date().toISOString(),
      };
      if (v6) n.ipv6 = poolConfig(v6);
      if (o.mtu !== undefined) n.mtu = o.mtu;
      if (hostBinding !== undefined) n.hostBinding = hostBinding;
      await this.materialize(n, !existing.some(hasBridge));
      return n;
    });
    await this.ctx.dns?.addNetwork(record);
    this.ctx.events.network('create', record);
    return networkInspect(record, []);
  }

  /** The default network, created (with its bridge) the first time anything asks for it. */
  async ensureDefault(): Promise<NetworkRecord> {
    const hinted = await this.hinted(DEFAULT_NETWORK, (n) => n.isDefault);
    if (hinted) return hinted;
    const all = await this.ctx.state.networks();
    this.remember(all);
    const found = all.find((n) => n.isDefault);
    if (found) return found;
    let made: NetworkRecord | undefined;
    const n = await this.ctx.state.locked(async () => {
      const existing = await this.ctx.state.networks();
      const again = existing.find((n) => n.isDefault);
      if (again) return again;
      const d = this.ctx.defaultBridge;
      const poolCtx = { networks: existing.map((n) => ({ subnet: n.ipv4.subnet, network: n.name })), inUse: await this.hostPrefixes(), ...(this.ctx.pools ? { pools: this.ctx.pools } : {}) };
      const pool = d.gateway !== undefined && d.subnet !== undefined
        ? { ...createPool({ subnet: d.subnet, gateway: d.gateway }, poolCtx), userConfigured: false }
        : defaultBridgePool(poolCtx, d.subnet);
      const n: NetworkRecord = {
        id: newId(),
        name: DEFAULT_NETWORK,
        driver: 'bridge',
        isDefault: true,
        bridge: d.bridge ?? DEFAULT_BRIDGE_NAME,
        ipv4: poolConfig(pool),
        internal: false,
        icc: true,
        masquerade: true,
        labels: {},
        options: { 'com.docker.network.bridge.default_bridge': 'true' },
        created: new Date().toISOString(),
      };
      if (d.mtu !== undefined) n.mtu = d.mtu;
      await this.materialize(n, !existing.some(hasBridge));
      return (made = n);
    });
    if (made) this.ctx.events.network('create', made);
    return n;
  }

  /** A macvlan or ipvlan network: checked against the host and the other networks, then its parent side made. */
  private async createStacked(driver: 'macvlan' | 'ipvlan', opts: NetworkCreateOptions): Promise<NetworkInspect> {
    if (opts.mtu !== undefined) integer(opts.mtu, 'mtu', 68, 65535);
    const record = await this.ctx.state.locked(async () => {
      const existing = await this.ctx.state.networks();
      if (existing.some((n) => n.name === opts.name)) throw new ConflictError('name-in-use', `network with name '${opts.name}' already exists`);
      const base = { id: newId(), name: opts.name, labels: { ...(opts.labels ?? {}) }, options: { ...(opts.options ?? {}) }, created: new Date().toISOString() };
      const n = await stackedNetworkRecord(this.ctx.host, driver, opts, existing, base);
      try {
        await this.materialize(n, false);
      } catch (e) {
        throw explainStackedFailure(n, e);
      }
      return n;
    });
    return networkInspect(record, []);
  }

  /**
   * Makes the network's kernel side in one plan, then writes its record. The
   * firewall part is fitted to the table as it is (other owners may share
   * it) and sent with that generation: if the ruleset moved meanwhile, the
   * plan is undone and tried again.
   */
  private async materialize(n: NetworkRecord, first: boolean): Promise<void> {
    try {
      await makeNetwork(this.ctx, n);
    } catch (e) {
      throw await this.bridgeConflict(e, n);
    }
    try {
      await this.ctx.state.writeNetwork(n);
    } catch (e) {
      await this.unmaterialize(n, first).catch(() => undefined);
      throw e;
    }
  }

  /** Removes the network's firewall part and bridge, fitted to the table as it is. */
  private unmaterialize(n: NetworkRecord, last: boolean): Promise<void> {
    return unmakeNetwork(this.ctx, n, last);
  }

  /** A bridge name that is taken: a ConflictError that says whose it is. */
  private async bridgeConflict(e: unknown, n: NetworkRecord): Promise<unknown> {
    if (!(e instanceof AlreadyExistsError) || e.op !== 'RTM_NEWLINK' || e.object !== n.bridge) return e;
    const [link, ruleset] = await Promise.all([
      this.ctx.host.exec([linkCalls.get(n.bridge)]).then((r) => r[0] as Link, () => undefined),
      new Nftables(this.ctx.host).list({ family: 'inet' }),
    ]);
    const root = link ? readFirewall(ruleset).owners.get(link.deviceGroup) : undefined;
    return new ConflictError(
      'name-in-use',
      `the bridge name '${n.bridge}' is taken on the host` + (root !== undefined ? ` by a network of the netplumb state root ${root}` : ' by an interface netplumb did not make here'),
      root,
    );
  }

  /** Prefixes routed on the host: automatic subnets avoid them, as dockerd does. */
  private async hostPrefixes(): Promise<string[]> {
    const [routes] = (await this.ctx.host.exec([routeCalls.list({ family: 4 })])) as [Route[]];
    return routes.filter((r) => r.destination !== 'default' && r.table === 254).map((r) => r.destination);
  }

  /** Damaged network documents seen by the last listing. */
  private damagedNetworks() {
    return [...this.ctx.state.damaged.values()].filter((d) => d.kind === NETWORKS);
  }

  /**
   * A network by exact name, full id or unique id prefix (as the docker CLI
   * resolves them). An id (or prefix) of a damaged network document is a
   * StateError naming it.
   */
  async find(ref: string): Promise<NetworkRecord | undefined> {
    if (typeof ref !== 'string') throw new ValidationError('network', `a network is named by a string, got ${typeof ref}`);
    const hinted = await this.hinted(ref, (n) => n.name === ref);
    if (hinted) return hinted;
    // A full id names its document (as a CNI ADD passes the network it found): one read, not a listing.
    if (FULL_ID.test(ref)) {
      const byId = await this.ctx.state.network(ref).catch((e: unknown) => {
        if (e instanceof StateError) return undefined;
        throw e;
      });
      if (byId) return byId;
    }
    const all = await this.ctx.state.networks();
    this.remember(all);
    const exact = all.find((n) => n.name === ref || n.id === ref);
    if (exact) return exact;
    if (!/^[0-9a-f]{3,64}$/.test(ref)) return undefined;
    const damaged = this.damagedNetworks().find((d) => d.id.startsWith(ref));
    if (damaged) throw new StateError(damaged.file, damaged.problem);
    const byPrefix = all.filter((n) => n.id.startsWith(ref));
    if (byPrefix.length > 1) throw new ConflictError('name-in-use', `network id prefix '${ref}' is ambiguous: it matches ${byPrefix.length} networks`);
    return byPrefix[0];
  }

  /** Like find(), but `bridge` makes the default network, and a miss is a NoSuchObjectError. */
  async get(ref: string): Promise<NetworkRecord> {
    if (ref === DEFAULT_NETWORK) return this.ensureDefault();
    const n = await this.find(ref);
    if (!n) throw new NoSuchObjectError('network', ref);
    return n;
  }

  /** The addresses the next attach would get; undefined when the network's pool has none left. */
  async nextAddresses(ref: string): Promise<{ ipv4: string; ipv6?: string } | undefined> {
    const n = await this.get(ref);
    const ipam = await this.ctx.state.ipam.cursor(n.id);
    try {
      return allocateAddresses(n, ipam, 'probe', {}, (a) => this.ctx.state.ipam.isAllocated(n.id, a));
    } catch (e) {
      if (e instanceof PoolExhaustedError) return undefined;
      throw e;
    }
  }

  async list(): Promise<NetworkInspect[]> {
    const [networks, sandboxes] = await Promise.all([this.ctx.state.networks(), this.ctx.state.sandboxes()]);
    return networkList(networks, sandboxes);
  }

  async inspect(ref: string): Promise<NetworkInspect> {
    const n = await this.get(ref);
    return networkInspect(n, await this.ctx.state.sandboxes());
  }

  /**
   * Removes a network: its firewall rules and bridge in one transaction.
   * Refused while sandboxes are attached, unless `force`, which disconnects them first.
   */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    checkOptions(opts, { force: option.boolean }, 'remove options');
    const overlay = await this.find(ref);
    if (overlay && driverOf(overlay) === 'overlay') {
      if (!this.ctx.cluster)
        throw new ValidationError('driver', `overlay network '${overlay.name}' is cluster-wide: remove it through an engine with the cluster option (netplumbd)`);
      return this.ctx.cluster.removeNetwork(overlay, opts);
    }
    const removed = await this.ctx.state.locked(async () => {
      const n = await this.find(ref);
      if (!n) throw new NoSuchObjectError('network', ref);
      // A damaged network document is a network too: its bridge and chains are still there.
      const last = hasBridge(n) && (await this.ctx.state.networks()).filter(hasBridge).length === 1 && !this.damagedNetworks().length;
      const attached = (await this.ctx.state.sandboxes()).filter((s) => s.endpoints.some((e) => e.networkId === n.id));
      if (attached.length > 0 && !opts.force)
        throw new ConflictError(
          'in-use',
          `network '${n.name}' has active endpoints (${attached.map((s) => s.name).join(', ')}); disconnect them first or force the removal`,
        );
      for (const s of attached) await detachNetwork(this.ctx, s, n);
      // Warm pool namespaces on its bridge, whichever engine keeps them: they go with it.
      await dropPoolEntries(this.ctx, n.id, ownedNamespaces(attached));
      await this.unmaterialize(n, last);
      await this.ctx.state.removeNetwork(n.id);
      await this.ctx.state.ipam.drop(n.id);
      return n;
    });
    this.ctx.dns?.removeNetwork(removed.id);
    this.ctx.events.network('remove', removed);
  }

  /** Removes every network no sandbox uses; returns their names. */
  async prune(): Promise<string[]> {
    const sandboxes = await this.ctx.state.sandboxes();
    const used = new Set(sandboxes.flatMap((s) => s.endpoints.map((e) => e.networkId)));
    const out: string[] = [];
    for (const n of await this.ctx.state.networks()) {
      // An overlay is the cluster's: unused here is not unused everywhere.
      if (used.has(n.id) || n.isDefault || driverOf(n) === 'overlay') continue;
      await this.remove(n.id);
      out.push(n.name);
    }
    return out;
  }
}

