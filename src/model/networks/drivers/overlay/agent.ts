// The engine's member of a cluster (Engine.open's `cluster` option): it
// holds this host's lease in the cluster store, mirrors the store's records,
// joins every overlay network defined there (leasing the host's subnet and
// making the local side), and keeps each network's VXLAN device programmed
// with exactly the 3 objects per remote host the records call for. Store
// events are applied as differences — a host joining or leaving is one
// rtnl.apply of 3 changes on every other host — and after a restart the
// kernel's objects are read and only what differs is changed. Local
// sandboxes' names go to the store, other hosts' come back into the DNS
// responder. Everything runs one step at a time (one queue), so store
// events, API calls and timers never interleave.
import { existsSync, mkdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import { ClusterStoreError, ConflictError, NoSuchObjectError, ValidationError } from '../../../../core/errors.js';
import { integer, ipAddress, macAddress, cidr } from '../../../../core/validate.js';
import { writeFileAtomic } from '../../../../store/atomic-file.js';
import { contains, parsePrefix } from '../../../../addressing/ipnet.js';
import { addrCalls, type Address } from '../../../../rtnl/addr.js';
import { linkCalls, type Link } from '../../../../rtnl/link.js';
import { routeCalls, type Route } from '../../../../rtnl/route.js';
import { neighCalls, type Neighbour } from '../../../../rtnl/neigh.js';
import { nexthopCalls, type Nexthop } from '../../../../rtnl/nexthop.js';
import { rtnlCalls } from '../../../../rtnl/apply.js';
import { openClusterStore } from '../../../../cluster/open.js';
import { connectTcp } from '../../../../kernel/sockets.js';
import { parseStoreAddress } from '../../../../cluster/address.js';
import type { ClusterStore, StoreWatch, WatchEvent } from '../../../../cluster/store.js';
import { freeHostSubnet, overlapping } from '../../../../cluster/subnets.js';
import {
  STORE_ROOT, parseRecord, parseStoreKey, storeKeys,
  type HostRecord, type OverlaySpec, type SubnetReservation, type VtepRecord,
} from '../../../../cluster/records.js';
import type { ClusterDriver, ModelContext } from '../../../context.js';
import type { NetworkRecord } from '../../../state/records.js';
import { newId } from '../../../state/names.js';
import { detachNetwork } from '../../../sandboxes/sandbox-ops.js';
import type { DriverCreateInput } from '../input.js';
import { driverOf } from '../index.js';
import { FIRST_AUTO_VNI, MAX_VNI, overlayRequest } from './spec.js';
import { NEXTHOP_THRESHOLD, desiredObjects, diffObjects, kernelObjects, peerChanges, type PeerObjects } from './peers.js';
import { checkLocalConflicts, ensureLocal, makeLocal, removeLocal } from './membership.js';
import { localNameRecords, remoteNames } from './names.js';
import { vtepMac } from './device.js';

export interface ClusterOptions {
  /** etcd://HOST:2379[,HOST:2379…] (etcd v3, through its JSON gateway) or dir:///path (a directory of records). */
  store: string;
  /** This host's address on the underlay: VXLAN's local end, where the other hosts send. Must be an address of the engine's host namespace. */
  advertiseAddr: string;
  /** Seconds this host's records outlive its last renewal (default 15; renewed every third of it). */
  leaseTtl?: number;
  /** VXLAN's UDP port for networks that name none (default 4789). */
  vxlanPort?: number;
  /** Past this many remote hosts on a network, its routes go through nexthop objects (default 500, NEXTHOP_THRESHOLD). */
  nexthopThreshold?: number;
  /** Wait between attempts to reach an unreachable store (default 2000 ms). */
  retryMs?: number;
  /** etcd: per request (default 3000 ms). */
  storeTimeoutMs?: number;
  /** dir: how often a watch looks at the directory (default 500 ms). */
  pollMs?: number;
  /** Failures met in the background (an unreachable store, a network that could not be joined). */
  onError?: (e: Error) => void;
}

/** How this host stands with the cluster, for status displays and tests. */
export interface ClusterStatus {
  store: string;
  hostId: string;
  advertiseAddr: string;
  /** Registered with the store (holds a lease) and watching it. */
  connected: boolean;
  lastError?: string;
  /** Overlay networks this host has joined: name → its subnet here. */
  networks: Record<string, string>;
  /** rtnl.apply calls made for peers, and the changes they carried (a join or leave elsewhere is 3). */
  peerBatches: number;
  peerChanges: number;
}

const HOST_ID_FILE = 'cluster-host.json';

/** This host's id in the cluster, kept with the configuration so that it survives restarts. */
async function loadHostId(configDir: string): Promise<string> {
  const path = join(configDir, HOST_ID_FILE);
  if (existsSync(path)) {
    const id = parseRecord<{ hostId?: string }>(readFileSync(path, 'utf8'))?.hostId;
    if (id && /^[0-9a-f]{16}$/.test(id)) return id;
  }
  const id = randomBytes(8).toString('hex');
  mkdirSync(configDir, { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify({ hostId: id })}\n`);
  return id;
}

/** The advertise address's interface in the host namespace, for its MTU. */
async function findUnderlay(ctx: ModelContext, address: string): Promise<{ address: string; mtu: number }> {
  ipAddress(address, 'cluster.advertiseAddr');
  const [addrs, links] = (await ctx.host.exec([addrCalls.list({ family: 4 }), linkCalls.list()])) as [Address[], Link[]];
  const found = addrs.find((a) => a.address === address);
  if (!found)
    throw new ValidationError(
      'cluster.advertiseAddr',
      `advertise address ${address} is not an address of this host (it has ${addrs.filter((a) => a.scope !== 'host').map((a) => a.address).join(', ') || 'none'})`,
    );
  const link = links.find((l) => l.index === found.index);
  return { address, mtu: link?.mtu ?? 1500 };
}

function validVtep(r: VtepRecord | undefined, spec: { subnet: string } | undefined): r is VtepRecord {
  if (!r || !spec || typeof r.hostId !== 'string') return false;
  try {
    ipAddress(r.underlay, 'underlay');
    macAddress(r.vtepMac, 'vtepMac');
    return cidr(r.subnet, 'subnet').family === 4 && contains(parsePrefix(spec.subnet), parsePrefix(r.subnet));
  } catch {
    return false;
  }
}

export class ClusterAgent implements ClusterDriver {
  private lease: string | undefined;
  private watcher: StoreWatch | undefined;
  private sandboxWatch: FSWatcher | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private nameTimer: NodeJS.Timeout | undefined;
  /** Every key and value under STORE_ROOT, as the store last told us. */
  private readonly mirror = new Map<string, string>();
  /** Overlay networks joined here: id → local record. */
  private readonly joined = new Map<string, NetworkRecord>();
  /** Each network's remote hosts' VTEP records, by subnet, as the store holds them. */
  private readonly vteps = new Map<string, Map<string, VtepRecord>>();
  /** The VTEP records each network's VXLAN device was last programmed with (absent: read the kernel). */
  private readonly applied = new Map<string, { peers: Map<string, VtepRecord>; nexthops: boolean }>();
  /** The name records this host has put in the store. */
  private published = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private lastError: Error | undefined;
  private peerBatches = 0;
  private peerChanges = 0;

  private constructor(
    private readonly ctx: ModelContext,
    private readonly store: ClusterStore,
    private readonly o: ClusterOptions & { leaseTtl: number; nexthopThreshold: number; retryMs: number },
    readonly hostId: string,
    private readonly underlay: { address: string; mtu: number },
  ) {}

  /**
   * Checks the options, then registers with the store and joins its networks.
   * An unreachable store is not a failure: the local networks keep working,
   * the agent retries in the background, and overlay changes are refused
   * with a ClusterStoreError naming the store until it answers.
   */
  static async open(ctx: ModelContext, options: ClusterOptions): Promise<ClusterAgent> {
    if (options === null || typeof options !== 'object') throw new ValidationError('cluster', 'cluster must be { store, advertiseAddr }');
    parseStoreAddress(options.store);
    const leaseTtl = integer(options.leaseTtl ?? 15, 'cluster.leaseTtl', 2, 3600);
    const nexthopThreshold = integer(options.nexthopThreshold ?? NEXTHOP_THRESHOLD, 'cluster.nexthopThreshold', 0, 2 ** 24);
    const retryMs = integer(options.retryMs ?? 2000, 'cluster.retryMs', 10, 600_000);
    if (options.vxlanPort !== undefined) integer(options.vxlanPort, 'cluster.vxlanPort', 1, 65535);
    const underlay = await findUnderlay(ctx, options.advertiseAddr);
    const store = openClusterStore(options.store, {
      // The store is reached from the host namespace, as the other hosts reach this one.
      connect: async (host, port, timeoutMs) =>
        connectTcp(ctx.host, { host: isIP(host) ? host : (await lookup(host, { family: 4 })).address, port, timeoutMs }),
      ...(options.storeTimeoutMs !== undefined ? { timeoutMs: options.storeTimeoutMs } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    });
    const agent = new ClusterAgent(ctx, store, { ...options, leaseTtl, nexthopThreshold, retryMs }, await loadHostId(ctx.state.dirs.config), underlay);
    agent.followSandboxes();
    await agent.connect();
    return agent;
  }

  status(): ClusterStatus {
    return {
      store: this.store.address,
      hostId: this.hostId,
      advertiseAddr: this.underlay.address,
      connected: this.lease !== undefined && this.watcher !== undefined,
      ...(this.lastError ? { lastError: this.lastError.message } : {}),
      networks: Object.fromEntries([...this.joined.values()].map((n) => [n.name, n.ipv4.subnet])),
      peerBatches: this.peerBatches,
      peerChanges: this.peerChanges,
    };
  }

  /** Runs `fn` after everything queued before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private fail(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.lastError = err;
    this.o.onError?.(err);
  }

  // ---- membership of the cluster -------------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      await this.serial(() => this.register());
      this.lastError = undefined;
    } catch (e) {
      this.fail(e);
      this.retryTimer = setTimeout(() => void this.connect(), this.o.retryMs);
      this.retryTimer.unref();
    }
  }

  /** A lease, the host record, every network of the store joined, and the watch from there. */
  private async register(): Promise<void> {
    this.lease = await this.store.grant(this.o.leaseTtl);
    const host: HostRecord = { hostId: this.hostId, advertiseAddr: this.underlay.address, started: new Date().toISOString() };
    await this.store.put(storeKeys.host(this.hostId), JSON.stringify(host), { lease: this.lease });
    this.published.clear();
    await this.loadAndWatch();
    this.startKeepAlive();
  }

  /** Reads the whole store, brings the networks in line with it, and watches from what was read. */
  private async loadAndWatch(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    const { kvs, revision } = await this.store.range(STORE_ROOT);
    this.mirror.clear();
    for (const kv of kvs) this.mirror.set(kv.key, kv.value);
    this.reindexVteps();
    // Everything is read again: each device is compared with the kernel once more.
    this.applied.clear();
    const specs = this.specs();
    for (const n of await this.ctx.state.networks()) {
      if (driverOf(n) !== 'overlay' || specs.some((s) => s.id === n.id)) continue;
      await this.leave(n.id).catch((e: unknown) => this.fail(e));
    }
    for (const spec of specs) await this.join(spec).catch((e: unknown) => this.fail(e));
    await this.publishNames();
    for (const id of this.joined.keys()) this.refreshRemoteNames(id);
    this.watcher = this.store.watch(STORE_ROOT, revision, {
      events: (events) => void this.serial(() => this.apply(events)).catch((e: unknown) => this.fail(e)),
      reset: () => void this.serial(() => this.loadAndWatch()).catch((e: unknown) => this.fail(e)),
      error: (e) => this.fail(e),
    });
  }

  private startKeepAlive(): void {
    clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = setInterval(() => {
      void this.serial(async () => {
        if (this.closed || !this.lease) return;
        if (await this.store.keepAlive(this.lease)) return;
        // The store let the lease go (this host was cut off longer than its TTL): register again.
        await this.reRegister();
      }).catch((e: unknown) => this.fail(e));
    }, (this.o.leaseTtl * 1000) / 3);
    this.keepAliveTimer.unref();
  }

  private async reRegister(): Promise<void> {
    this.lease = await this.store.grant(this.o.leaseTtl);
    const host: HostRecord = { hostId: this.hostId, advertiseAddr: this.underlay.address, started: new Date().toISOString() };
    await this.store.put(storeKeys.host(this.hostId), JSON.stringify(host), { lease: this.lease });
    for (const n of this.joined.values()) {
      const spec = this.specs().find((s) => s.id === n.id);
      if (spec) await this.claimSubnet(spec, n.ipv4.subnet);
    }
    this.published.clear();
    await this.publishNames();
  }

  // ---- the store's records -------------------------------------------------------------------

  private specs(): OverlaySpec[] {
    const out: OverlaySpec[] = [];
    for (const [key, value] of this.mirror) {
      if (parseStoreKey(key).kind !== 'network') continue;
      const s = parseRecord<OverlaySpec>(value);
      if (s && typeof s.id === 'string' && typeof s.subnet === 'string' && typeof s.vni === 'number') out.push(s);
    }
    return out;
  }

  /** Takes a VTEP key's new value (or its deletion) into the index of remote hosts; resolves to its network and subnet. */
  private indexVtep(key: string, value: string | undefined): { netId: string; subnet: string } | undefined {
    const k = parseStoreKey(key);
    if (k.kind !== 'vtep') return undefined;
    let byNet = this.vteps.get(k.netId);
    if (!byNet) this.vteps.set(k.netId, (byNet = new Map()));
    const r = parseRecord<VtepRecord>(value);
    // Checked against the network's cluster CIDR once this host has joined it (join reads the records again).
    const cluster = this.joined.get(k.netId)?.overlay?.subnet ?? '0.0.0.0/0';
    // Another host's record only; this host's own subnet is local.
    if (value !== undefined && validVtep(r, { subnet: cluster }) && r.subnet === k.subnet && r.hostId !== this.hostId) byNet.set(k.subnet, r);
    else byNet.delete(k.subnet);
    return { netId: k.netId, subnet: k.subnet };
  }

  private reindexVteps(): void {
    this.vteps.clear();
    for (const [key, value] of this.mirror) this.indexVtep(key, value);
  }

  /**
   * Leases this host's subnet of a network: `preferred` (the one it had), else
   * the one reserved for it, else the lowest nobody holds — a reservation
   * (kept) and a VTEP record (on the lease) written in one transaction.
   */
  private async claimSubnet(spec: OverlaySpec, preferred?: string): Promise<string> {
    const lease = this.lease;
    if (!lease) throw this.notConnected();
    // The MAC the device is made with (device.ts), so the record and the kernel agree.
    const vtep = (subnet: string): string =>
      JSON.stringify({ hostId: this.hostId, underlay: this.underlay.address, vtepMac: vtepMac(subnet), subnet, vni: spec.vni } satisfies VtepRecord);
    const mine = JSON.stringify({ hostId: this.hostId } satisfies SubnetReservation);
    for (let attempt = 0; attempt < 20; attempt++) {
      const { kvs } = await this.store.range(storeKeys.overlay(spec.id));
      const reservedBy = new Map<string, string>();
      const held = new Map<string, string>();
      for (const kv of kvs) {
        const k = parseStoreKey(kv.key);
        if (k.kind === 'reserved') reservedBy.set(k.subnet, parseRecord<SubnetReservation>(kv.value)?.hostId ?? '?');
        if (k.kind === 'vtep') held.set(k.subnet, parseRecord<VtepRecord>(kv.value)?.hostId ?? '?');
      }
      const ours = [...reservedBy].find(([, h]) => h === this.hostId)?.[0];
      const subnet = preferred ?? ours ?? freeHostSubnet(spec.subnet, spec.hostPrefixLength, new Set([...reservedBy.keys(), ...held.keys()]));
      if (!subnet) throw new ConflictError('subnet-in-use', `overlay network '${spec.name}' has no free /${spec.hostPrefixLength} left in ${spec.subnet} for this host`);
      const by = reservedBy.get(subnet);
      if (by !== undefined && by !== this.hostId)
        throw new ConflictError('subnet-in-use', `subnet ${subnet} of overlay network '${spec.name}' is now reserved by host ${by}; this host's sandboxes there cannot rejoin`);
      const holder = held.get(subnet);
      if (holder !== undefined && holder !== this.hostId)
        throw new ConflictError('subnet-in-use', `subnet ${subnet} of overlay network '${spec.name}' is held by host ${holder}`);
      const ok = await this.store.txn(
        [by === undefined ? { key: storeKeys.reserved(spec.id, subnet), absent: true } : { key: storeKeys.reserved(spec.id, subnet), value: kvs.find((kv) => kv.key === storeKeys.reserved(spec.id, subnet))!.value }],
        [
          { put: storeKeys.reserved(spec.id, subnet), value: mine },
          { put: storeKeys.vtep(spec.id, subnet), value: vtep(subnet), lease },
        ],
      );
      if (ok) {
        this.mirror.set(storeKeys.vtep(spec.id, subnet), vtep(subnet));
        return subnet;
      }
    }
    throw new ClusterStoreError(this.store.address, `could not lease a subnet of '${spec.name}' in ${this.store.address}: other hosts kept changing the same records`);
  }

  private notConnected(): ClusterStoreError {
    return new ClusterStoreError(
      this.store.address,
      `not connected to the cluster store ${this.store.address}${this.lastError ? ` (${this.lastError.message})` : ''}; overlay networks can change once it answers (retrying every ${this.o.retryMs} ms)`,
    );
  }

  // ---- networks ------------------------------------------------------------------------------

  /** This host's side of a network of the store: made, or checked and put back; then its peers. */
  private async join(spec: OverlaySpec): Promise<NetworkRecord> {
    const host = { hostId: this.hostId, underlay: this.underlay.address, underlayMtu: this.underlay.mtu };
    let n = await this.ctx.state.network(spec.id);
    if (n) {
      await this.claimSubnet(spec, n.ipv4.subnet);
      const { record, fresh } = await ensureLocal(this.ctx, n, this.underlay.address);
      n = record;
      if (fresh) this.applied.delete(n.id);
      await this.ctx.dns?.addNetwork(n);
    } else {
      n = await makeLocal(this.ctx, spec, host, () => this.claimSubnet(spec), async (subnet) => {
        await this.store.txn([], [{ delete: storeKeys.vtep(spec.id, subnet) }, { delete: storeKeys.reserved(spec.id, subnet) }]);
      });
      this.applied.delete(n.id);
    }
    this.joined.set(n.id, n);
    const prefix = storeKeys.vteps(n.id);
    for (const [key, value] of this.mirror) if (key.startsWith(prefix)) this.indexVtep(key, value);
    await this.syncPeers(n.id);
    return n;
  }

  private async leave(netId: string): Promise<void> {
    this.joined.delete(netId);
    this.applied.delete(netId);
    await removeLocal(this.ctx, netId);
    await this.publishNames();
  }

  /**
   * Programs a network's VXLAN device with what the store's VTEP records call
   * for, changing only what differs: for the hosts `touched` when the device
   * was programmed before in the same mode, else against what the kernel holds.
   */
  private async syncPeers(netId: string, touched?: ReadonlySet<string>): Promise<void> {
    const n = this.joined.get(netId);
    if (!n?.overlay) return;
    const peers = this.vteps.get(netId) ?? new Map<string, VtepRecord>();
    const layout = { clusterSubnet: n.overlay.subnet, nexthopSlot: n.overlay.nexthopSlot, useNexthops: peers.size > this.o.nexthopThreshold };
    const last = this.applied.get(netId);
    const incremental = last !== undefined && touched !== undefined && last.nexthops === layout.useNexthops;
    const changes = incremental
      ? peerChanges(n.overlay.device, layout, last.peers, peers, touched)
      : diffObjects(n.overlay.device, await this.kernelObjects(n), desiredObjects([...peers.values()], layout));
    if (changes.length > 0) {
      this.applied.delete(netId);
      await this.ctx.host.exec([rtnlCalls.apply(changes)]);
      this.peerBatches++;
      this.peerChanges += changes.length;
    }
    if (!incremental) return void this.applied.set(netId, { peers: new Map(peers), nexthops: layout.useNexthops });
    for (const subnet of touched) {
      const r = peers.get(subnet);
      if (r) last.peers.set(subnet, r);
      else last.peers.delete(subnet);
    }
    this.applied.set(netId, last);
  }

  private async kernelObjects(n: NetworkRecord): Promise<PeerObjects> {
    const dev = n.overlay!.device;
    const [link, routes, neigh, fdb, nexthops] = (await this.ctx.host.exec([
      linkCalls.get(dev),
      routeCalls.list({ dev, family: 4, table: 'main' }),
      neighCalls.list({ dev, family: 4 }),
      neighCalls.list({ dev, family: 'bridge' }),
      nexthopCalls.list({ dev }),
    ])) as [Link, Route[], Neighbour[], Neighbour[], Nexthop[]];
    return kernelObjects(link.index, routes, neigh, fdb, nexthops);
  }

  /** Store events, in order: the mirror follows them, then the networks they touch. */
  private async apply(events: WatchEvent[]): Promise<void> {
    if (this.closed) return;
    const peers = new Map<string, Set<string>>();
    const names = new Set<string>();
    const joins = new Map<string, OverlaySpec>();
    const leaves = new Set<string>();
    for (const e of events) {
      const before = this.mirror.get(e.key);
      if (e.type === 'put') this.mirror.set(e.key, e.value ?? '');
      else this.mirror.delete(e.key);
      const k = parseStoreKey(e.key);
      if (k.kind === 'network') {
        const spec = parseRecord<OverlaySpec>(e.type === 'put' ? e.value : before);
        if (!spec?.id) continue;
        if (e.type === 'put') joins.set(spec.id, spec);
        else leaves.add(spec.id);
      } else if (k.kind === 'vtep') {
        this.indexVtep(e.key, e.type === 'put' ? e.value : undefined);
        let subnets = peers.get(k.netId);
        if (!subnets) peers.set(k.netId, (subnets = new Set()));
        subnets.add(k.subnet);
      } else if (k.kind === 'name') names.add(k.netId);
    }
    for (const id of leaves) if (!joins.has(id)) await this.leave(id).catch((e: unknown) => this.fail(e));
    for (const [id, spec] of joins) if (!this.joined.has(id)) await this.join(spec).catch((e: unknown) => this.fail(e));
    for (const [id, subnets] of peers) if (this.joined.has(id)) await this.syncPeers(id, subnets).catch((e: unknown) => this.fail(e));
    for (const id of names) this.refreshRemoteNames(id);
  }

  // ---- names ---------------------------------------------------------------------------------

  private refreshRemoteNames(netId: string): void {
    this.ctx.dns?.setRemoteNames(netId, remoteNames(this.hostId, netId, this.mirror));
  }

  /** Puts this host's sandboxes' names on overlay networks in the store, and takes back those gone. */
  private async publishNames(): Promise<void> {
    const lease = this.lease;
    if (!lease || this.closed) return;
    const want = localNameRecords(this.hostId, await this.ctx.state.sandboxes(), new Set(this.joined.keys()));
    for (const [key, value] of want) if (this.published.get(key) !== value) await this.store.put(key, value, { lease });
    for (const key of this.published.keys()) if (!want.has(key)) await this.store.delete(key);
    this.published = want;
  }

  /** Sandboxes are made by this engine and by other processes on the same state: follow the directory. */
  private followSandboxes(): void {
    const dir = join(this.ctx.state.dirs.runtime, 'sandboxes');
    mkdirSync(dir, { recursive: true });
    this.sandboxWatch = watch(dir, () => {
      clearTimeout(this.nameTimer);
      this.nameTimer = setTimeout(() => void this.serial(() => this.publishNames()).catch((e: unknown) => this.fail(e)), 20);
      this.nameTimer.unref();
    });
    this.sandboxWatch.unref();
  }

  // ---- what Networks asks --------------------------------------------------------------------

  createNetwork(input: DriverCreateInput): Promise<NetworkRecord> {
    const req = overlayRequest(input, this.o.vxlanPort !== undefined ? { port: this.o.vxlanPort } : {});
    return this.serial(async () => {
      if (!this.lease) throw this.notConnected();
      checkLocalConflicts({ id: '', name: req.name, subnet: req.subnet }, await this.ctx.state.networks());
      let spec: OverlaySpec | undefined;
      for (let attempt = 0; attempt < 20 && !spec; attempt++) {
        const { kvs } = await this.store.range(storeKeys.networks);
        const catalog = await this.store.get(storeKeys.catalog);
        const specs = kvs.map((kv) => parseRecord<OverlaySpec>(kv.value)).filter((s): s is OverlaySpec => s !== undefined);
        if (specs.some((s) => s.name === req.name)) throw new ConflictError('name-in-use', `overlay network '${req.name}' already exists in the cluster`);
        const clash = overlapping(req.subnet, specs.map((s): [string, string] => [s.name, s.subnet]));
        if (clash) throw new ConflictError('subnet-in-use', `subnet ${req.subnet} overlaps overlay network '${clash[0]}' (${clash[1]}) of the cluster`);
        const used = new Map(specs.map((s) => [s.vni, s.name]));
        if (req.vni !== undefined && used.has(req.vni))
          throw new ConflictError('vni-in-use', `VNI ${req.vni} is in use by overlay network '${used.get(req.vni)}'`);
        let vni = req.vni ?? FIRST_AUTO_VNI;
        while (req.vni === undefined && used.has(vni) && vni < MAX_VNI) vni++;
        const next: OverlaySpec = { ...req, id: newId(), vni };
        const count = String(Number(catalog?.value ?? '0') + 1);
        const ok = await this.store.txn(
          [catalog ? { key: storeKeys.catalog, value: catalog.value } : { key: storeKeys.catalog, absent: true }, { key: storeKeys.network(req.name), absent: true }],
          [{ put: storeKeys.catalog, value: count }, { put: storeKeys.network(req.name), value: JSON.stringify(next) }],
        );
        if (ok) spec = next;
      }
      if (!spec) throw new ClusterStoreError(this.store.address, `could not define '${req.name}' in ${this.store.address}: other hosts kept changing the networks`);
      this.mirror.set(storeKeys.network(spec.name), JSON.stringify(spec));
      try {
        return await this.join(spec);
      } catch (e) {
        // This host could not take part: the definition goes again, so that no host is left half joined.
        await this.store.txn([], [{ delete: storeKeys.network(spec.name) }, { delete: storeKeys.overlay(spec.id), prefix: true }]).catch(() => undefined);
        this.mirror.delete(storeKeys.network(spec.name));
        throw e;
      }
    });
  }

  removeNetwork(n: NetworkRecord, opts: { force?: boolean }): Promise<void> {
    return this.serial(async () => {
      if (!this.lease) throw this.notConnected();
      const elsewhere = remoteNames(this.hostId, n.id, this.mirror);
      if (elsewhere.length > 0)
        throw new ConflictError('in-use', `overlay network '${n.name}' has sandboxes on other hosts (${elsewhere.map((x) => x.names[0]).join(', ')}); disconnect them there first`);
      const attached = (await this.ctx.state.sandboxes()).filter((s) => s.endpoints.some((e) => e.networkId === n.id));
      if (attached.length > 0 && !opts.force)
        throw new ConflictError('in-use', `network '${n.name}' has active endpoints (${attached.map((s) => s.name).join(', ')}); disconnect them first or force the removal`);
      for (const s of attached) await this.ctx.state.locked(async () => {
        const fresh = await this.ctx.state.sandbox(s.id);
        if (fresh) await detachNetwork(this.ctx, fresh, n);
      });
      const key = storeKeys.network(n.name);
      const current = await this.store.get(key);
      if (!current || parseRecord<OverlaySpec>(current.value)?.id !== n.id) throw new NoSuchObjectError('network', n.name, 'it is no longer in the cluster store');
      const catalog = await this.store.get(storeKeys.catalog);
      await this.store.txn(
        [{ key, value: current.value }],
        [{ delete: key }, { delete: storeKeys.overlay(n.id), prefix: true }, { put: storeKeys.catalog, value: String(Number(catalog?.value ?? '0') + 1) }],
      );
      this.mirror.delete(key);
      await this.leave(n.id);
    });
  }

  /** Stops following the store and leaves the cluster: the lease is revoked, so the other hosts drop this one now. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.keepAliveTimer);
    clearTimeout(this.nameTimer);
    this.sandboxWatch?.close();
    this.watcher?.close();
    await this.queue;
    if (this.lease) await this.store.revoke(this.lease).catch((e: unknown) => this.fail(e));
    this.lease = undefined;
    await this.store.close();
  }
}
