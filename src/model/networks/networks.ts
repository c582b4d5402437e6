// Networks (the bridge driver): create, list, inspect, remove, prune, and the
// default network `bridge` (docker0's equivalent) made on first use.
import { ValidationError } from '../../core/errors.js';
import { createPool, DEFAULT_BRIDGE_SUBNET, defaultBridgePool, type PoolState } from '../../addressing/ipam.js';
import { canonicalAddress } from '../../addressing/ipnet.js';
import { routeCalls, type Route } from '../../rtnl/route.js';
import { interfaceName, integer } from '../../core/validate.js';
import type { ModelContext } from '../context.js';
import { ConflictError, NoSuchObjectError } from '../../core/errors.js';
import { networkInspect, type NetworkInspect } from '../inspect.js';
import { bridgeName, DEFAULT_BRIDGE_NAME, newId, objectName } from '../state/names.js';
import { createNetworkCalls, removeNetworkCalls } from './network-calls.js';
import type { NetworkRecord } from '../state/records.js';
import { detachNetwork } from '../sandboxes/sandbox-ops.js';
import { dropPoolEntries } from '../sandboxes/pool-records.js';

export const DEFAULT_NETWORK = 'bridge';
/** Names of network modes, never of networks a user creates. */
const RESERVED = new Set(['bridge', 'host', 'none', 'default']);

export interface NetworkCreateOptions {
  name: string;
  /** --subnet; omitted: a free subnet from the address pools. */
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  /** --ipv6 with an IPv6 --subnet. */
  ipv6?: { subnet: string; gateway?: string };
  /** --internal: no route to or from anything outside the network. */
  internal?: boolean;
  /** Inter-container traffic on the bridge (default true). */
  icc?: boolean;
  /** Masquerade outbound traffic (default true). */
  masquerade?: boolean;
  mtu?: number;
  /** The bridge's name (default np-<short id>). */
  bridge?: string;
  /** Default host address of published ports. */
  hostBinding?: string;
  labels?: Record<string, string>;
  /** Docker's --opt keys (com.docker.network.bridge.name, .enable_icc, .enable_ip_masquerade, .host_binding_ipv4, com.docker.network.driver.mtu). */
  options?: Record<string, string>;
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

function poolConfig(p: PoolState): NetworkRecord['ipv4'] {
  const { allocated: _a, last: _l, ...config } = p;
  return config;
}

export class Networks {
  constructor(private readonly ctx: ModelContext) {}

  /** Creates a network; its bridge, gateway address and firewall rules are one kernel transaction. */
  async create(opts: NetworkCreateOptions): Promise<NetworkInspect> {
    const o = withDockerOptions(opts);
    const name = objectName(o.name, 'name');
    if (RESERVED.has(name))
      throw new ValidationError('name', `'${name}' is a pre-defined network mode and cannot be the name of a new network`);
    if (o.mtu !== undefined) integer(o.mtu, 'mtu', 68, 65535);
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
      const v4 = createPool({ subnet: o.subnet, gateway: o.gateway, ipRange: o.ipRange, family: 4 }, poolCtx);
      const v6 = o.ipv6 ? createPool({ subnet: o.ipv6.subnet, gateway: o.ipv6.gateway, family: 6 }, { networks: existing.flatMap((n) => (n.ipv6 ? [{ subnet: n.ipv6.subnet, network: n.name }] : [])) }) : undefined;
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
      await this.materialize(n, existing.length === 0);
      return n;
    });
    await this.ctx.dns?.addNetwork(record);
    this.ctx.pool?.schedule();
    return networkInspect(record, []);
  }

  /** The default network, created (with its bridge) the first time anything asks for it. */
  async ensureDefault(): Promise<NetworkRecord> {
    const indexed = await this.ctx.state.networkByName(DEFAULT_NETWORK);
    if (indexed?.isDefault) return indexed;
    const found = (await this.ctx.state.networks()).find((n) => n.isDefault);
    if (found) return found;
    return this.ctx.state.locked(async () => {
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
      await this.materialize(n, existing.length === 0);
      return n;
    });
  }

  private async materialize(n: NetworkRecord, first: boolean): Promise<void> {
    await this.ctx.host.exec(createNetworkCalls(n, { first, owner: this.ctx.firewallOwner }));
    try {
      await this.ctx.state.writeNetwork(n);
    } catch (e) {
      await this.ctx.host.exec(removeNetworkCalls(n, first)).catch(() => undefined);
      throw e;
    }
  }

  /** Prefixes routed on the host: automatic subnets avoid them, as dockerd does. */
  private async hostPrefixes(): Promise<string[]> {
    const [routes] = (await this.ctx.host.exec([routeCalls.list({ family: 4 })])) as [Route[]];
    return routes.filter((r) => r.destination !== 'default' && r.table === 254).map((r) => r.destination);
  }

  /** A network by exact name, full id or unique id prefix (as the docker CLI resolves them). */
  async find(ref: string): Promise<NetworkRecord | undefined> {
    // By name or full id: one or two reads, however many networks there are.
    const named = await this.ctx.state.networkByName(ref);
    if (named) return named;
    if (/^[0-9a-f]{64}$/.test(ref)) {
      const byId = await this.ctx.state.network(ref);
      if (byId) return byId;
    }
    // Id prefixes, and networks written before the name index: read them all.
    const all = await this.ctx.state.networks();
    const exact = all.find((n) => n.name === ref || n.id === ref);
    if (exact) return exact;
    if (!/^[0-9a-f]{3,63}$/.test(ref)) return undefined;
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

  async list(): Promise<NetworkInspect[]> {
    const [networks, sandboxes] = await Promise.all([this.ctx.state.networks(), this.ctx.state.sandboxes()]);
    return networks.sort((a, b) => a.name.localeCompare(b.name)).map((n) => networkInspect(n, sandboxes));
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
    const removed = await this.ctx.state.locked(async () => {
      const n = await this.find(ref);
      if (!n) throw new NoSuchObjectError('network', ref);
      const last = (await this.ctx.state.networks()).length === 1;
      const attached = (await this.ctx.state.sandboxes()).filter((s) => s.endpoints.some((e) => e.networkId === n.id));
      if (attached.length > 0 && !opts.force)
        throw new ConflictError(
          'in-use',
          `network '${n.name}' has active endpoints (${attached.map((s) => s.name).join(', ')}); disconnect them first or force the removal`,
        );
      for (const s of attached) await detachNetwork(this.ctx, s, n);
      await dropPoolEntries(this.ctx, n.id);
      await this.ctx.host.exec(removeNetworkCalls(n, last));
      await this.ctx.state.removeNetwork(n);
      await this.ctx.state.ipam.drop(n.id);
      return n;
    });
    this.ctx.dns?.removeNetwork(removed.id);
  }

  /** Removes every network no sandbox uses; returns their names. */
  async prune(): Promise<string[]> {
    const sandboxes = await this.ctx.state.sandboxes();
    const used = new Set(sandboxes.flatMap((s) => s.endpoints.map((e) => e.networkId)));
    const out: string[] = [];
    for (const n of await this.ctx.state.networks()) {
      if (used.has(n.id) || n.isDefault) continue;
      await this.remove(n.id);
      out.push(n.name);
    }
    return out;
  }
}

