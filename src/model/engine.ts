// The handle orchestrators import: networks and sandboxes over a state
// directory, with the bridges and the firewall in one namespace (the "host").
import { join } from 'node:path';
import { DaemonRunningError } from '../core/errors.js';
import { runningDaemon } from '../store/daemon-info.js';
import type { AddressPool } from '../addressing/ipam.js';
import type { PortRange } from '../addressing/port-spec.js';
import { Netns, DEFAULT_NETNS_DIR } from '../netns.js';
import type { DefaultBridgeOptions, ModelContext } from './context.js';
import { DnsService, type DnsOptions } from './dns-service.js';
import { ensureFirewall } from './firewall/setup.js';
import { FirewallGuard } from './firewall/guard.js';
import { Networks } from './networks/networks.js';
import { reconcile, type ReconcileReport } from './reconcile/index.js';
import { collectGraph } from './graph/collect.js';
import type { HostGraph } from './graph/types.js';
import { repairFirewall } from './reconcile/firewall.js';
import type { Damage } from './state/state.js';
import { LinkReaper } from './sandboxes/link-reaper.js';
import { Sandboxes } from './sandboxes/sandboxes.js';
import { ModelState } from './state/state.js';
import type { EngineApi } from './api.js';
import { ModelEvents, type EventSubscription, type ModelEvent } from './events.js';
import { ValidationError } from '../core/errors.js';
import { checkOptions, integer, interfaceName, option, type OptionKind } from '../core/validate.js';
import { networkMtu } from './networks/networks.js';

const dir: OptionKind = { test: (v) => typeof v === 'string' && v !== '' && !v.includes('\0'), what: 'a directory path (no NUL)' };

/** The kinds of EngineOptions, for callers from plain JavaScript. */
const ENGINE_OPTIONS: Record<keyof EngineOptions, OptionKind> = {
  stateDir: dir,
  runtimeDir: dir,
  configDir: dir,
  host: { test: (v) => v instanceof Netns, what: 'a Netns' },
  netnsDir: dir,
  etcDir: dir,
  defaultBridge: option.object,
  addressPools: option.arrayOf(option.object),
  ephemeralPorts: option.object,
  dns: { test: (v) => v === false || option.object.test(v), what: 'false or DNS options' },
  firewallOwner: option.boolean,
  guardFirewall: option.boolean,
  reconcile: option.boolean,
  cluster: option.object,
  pool: option.arrayOf(option.object),
};

function checkEngineOptions(o: EngineOptions): void {
  checkOptions(o, ENGINE_OPTIONS, 'engine options');
  const d = o.defaultBridge;
  if (d !== undefined) {
    checkOptions(d, { subnet: option.string, gateway: option.string, bridge: option.string, mtu: option.integer }, 'defaultBridge', 'defaultBridge.');
    if (d.bridge !== undefined) interfaceName(d.bridge, 'defaultBridge.bridge');
    if (d.mtu !== undefined) networkMtu(d.mtu, false, 'defaultBridge.mtu');
  }
  if (o.ephemeralPorts !== undefined) {
    checkOptions(o.ephemeralPorts, { start: option.integer, end: option.integer }, 'ephemeralPorts', 'ephemeralPorts.');
    const { start, end } = o.ephemeralPorts;
    if (!(start >= 1 && end <= 65535 && start <= end)) throw new ValidationError('ephemeralPorts', 'ephemeralPorts must be { start, end } with 1 <= start <= end <= 65535');
  }
  for (const [i, p] of (o.addressPools ?? []).entries()) checkOptions(p, { base: option.string, size: option.integer }, `addressPools[${i}]`, `addressPools[${i}].`);
  for (const [i, p] of (o.pool ?? []).entries()) {
    checkOptions(p, { network: option.string, size: option.integer }, `pool[${i}]`, `pool[${i}].`);
    if (typeof p.network !== 'string' || p.network === '') throw new ValidationError(`pool[${i}].network`, `pool[${i}].network must name a network (its name or id)`);
    integer(p.size, `pool[${i}].size`, 0, 1024);
  }
  if (o.dns) checkOptions(o.dns, { upstreams: option.arrayOf(option.object), resolvConfPath: dir, timeoutMs: option.integer, port: option.integer, tcpIdleTimeoutMs: option.integer }, 'dns', 'dns.');
}
import { ClusterAgent, type ClusterOptions, type ClusterStatus } from './networks/drivers/overlay/agent.js';
import { WarmPool, type PoolOptions } from './sandboxes/pool.js';

export interface EngineOptions {
  /** One root for run/ (runtime state) and lib/ (networks); default NETPLUMB_STATE_DIR, else /run/netplumb and /var/lib/netplumb. */
  stateDir?: string;
  runtimeDir?: string;
  configDir?: string;
  /** The namespace that holds bridges and the firewall (default: this process's). */
  host?: Netns;
  /** Where sandboxes' namespaces are named (default /run/netns). */
  netnsDir?: string;
  /**
   * hosts/resolv.conf go to <etcDir>/netns/<name>/. Default: NETPLUMB_ETC_DIR,
   * else <stateDir>/etc when a state root is given (option or
   * NETPLUMB_STATE_DIR), else /etc (where `ip netns exec` looks).
   */
  etcDir?: string;
  defaultBridge?: DefaultBridgeOptions;
  /** dockerd's default-address-pools. */
  addressPools?: AddressPool[];
  /** Random host ports come from here (default 49153-65535). */
  ephemeralPorts?: PortRange;
  /** Serve DNS on user networks from this process (default on); false leaves sandboxes with the host's resolvers. */
  dns?: DnsOptions | false;
  /**
   * Own table inet netplumb (flags owner + persist): the kernel then refuses
   * changes from any other socket, so firewall reloads cannot wipe it, and it
   * outlives this process for the next owner to take over. Only for one
   * long-lived daemon: while it lives, every other process (CLI commands,
   * other engines, even another Netns object here) is refused. Default false.
   */
  firewallOwner?: boolean;
  /**
   * While this engine is open, rebuild the firewall from the records when
   * another process deletes our table, a chain or rules (a firewall reload,
   * `nft flush ruleset`). For long-lived engines; default false.
   */
  guardFirewall?: boolean;
  /** Run reconcile() when opening (default false). */
  reconcile?: boolean;
  /**
   * Warm pools: per network (name or id; bridge networks), this many
   * namespaces kept ready with their veth pair already on the network's
   * bridge (sandbox end down, no address), refilled in the background
   * whenever this engine is idle. A create on that network then only
   * addresses, routes and publishes. Size 0 (the default) keeps none. The
   * engine deletes its pooled namespaces when it closes; reconcile deletes
   * those of engines that are gone.
   */
  pool?: PoolOptions[];
  /**
   * Join a cluster: overlay networks (driver 'overlay') are defined in its
   * store and made on every member host. `{ store: 'etcd://HOST:2379[,…]' |
   * 'dir:///path', advertiseAddr: 'this host's underlay address' }`; see
   * ClusterOptions. An unreachable store does not fail the open: local
   * networks work and the engine retries.
   */
  cluster?: ClusterOptions;
}

function etcDir(o: EngineOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (o.etcDir !== undefined) return o.etcDir;
  if (env.NETPLUMB_ETC_DIR) return env.NETPLUMB_ETC_DIR;
  const root = o.stateDir ?? env.NETPLUMB_STATE_DIR;
  return root ? join(root, 'etc') : '/etc';
}

export class Engine implements EngineApi {
  readonly networks: Networks;
  readonly sandboxes: Sandboxes;

  private guard: FirewallGuard | undefined;
  private startupReport: ReconcileReport | undefined;
  private agent: ClusterAgent | undefined;

  private constructor(private readonly ctx: ModelContext) {
    this.networks = new Networks(ctx);
    this.sandboxes = new Sandboxes(ctx, this.networks);
  }

  /**
   * The engine in this process, over the state in `stateDir`. While a
   * netplumbd owns that state, throws DaemonRunningError: go through the
   * daemon with Engine.connect instead.
   */
  static async open(o: EngineOptions = {}): Promise<Engine> {
    checkEngineOptions(o);
    const state = ModelState.fromOptions(o);
    const daemon = runningDaemon(state.dirs.runtime);
    if (daemon && daemon.pid !== process.pid) throw new DaemonRunningError(daemon.pid, daemon.sockets[0], state.dirs.runtime);
    const host = o.host ?? Netns.host();
    const dns = o.dns === false ? undefined : new DnsService(host, o.dns ?? {});
    const ctx: ModelContext = {
      state,
      events: new ModelEvents(),
      host,
      netnsDir: o.netnsDir ?? DEFAULT_NETNS_DIR,
      etcDir: etcDir(o),
      defaultBridge: o.defaultBridge ?? {},
      firewallOwner: o.firewallOwner ?? false,
      reaper: new LinkReaper(host),
      ...(o.addressPools ? { pools: o.addressPools } : {}),
      ...(o.ephemeralPorts ? { ephemeralPorts: o.ephemeralPorts } : {}),
      ...(dns ? { dns } : {}),
    };
    const networks = await ctx.state.networks();
    const firewall = networks.length > 0 ? await ensureFirewall(host, ctx.firewallOwner, ctx.state.owner) : { remade: false };
    const engine = new Engine(ctx);
    if (o.reconcile) engine.startupReport = await engine.reconcile();
    // A table made again to be owned holds none of this state's chains and elements yet.
    else if (firewall.remade) await repairFirewall(ctx, networks, await ctx.state.sandboxes());
    if (o.pool?.some((p) => p.size > 0)) {
      ctx.warmPool = new WarmPool({ state: ctx.state, host: ctx.host, netnsDir: ctx.netnsDir, findNetwork: (ref) => engine.networks.find(ref) }, o.pool);
      ctx.warmPool.schedule();
    }
    if (o.guardFirewall) engine.guard = await FirewallGuard.start(ctx);
    if (dns) {
      await dns.start(await ctx.state.networks(), await ctx.state.sandboxes());
      // The daemon that claimed this state root is its only writer (it holds the state lock for good), and
      // tells the DNS service of each change itself: watching would read every record it writes again.
      if (daemon?.pid !== process.pid) {
        const { dirs } = ctx.state;
        dns.follow(
          { networks: join(dirs.config, 'networks'), sandboxes: join(dirs.runtime, 'sandboxes') },
          {
            // A record still being made (pending) answers no names yet.
            sandbox: async (id) => {
              const s = await ctx.state.sandbox(id);
              return s?.pending === undefined ? s : undefined;
            },
            all: async () => ({ networks: await ctx.state.networks(), sandboxes: await ctx.state.sandboxes() }),
          },
        );
      }
    }
    if (o.cluster) {
      try {
        engine.agent = await ClusterAgent.open(ctx, o.cluster);
      } catch (e) {
        await engine.close();
        throw e;
      }
      ctx.cluster = engine.agent;
    }
    return engine;
  }

  /** What reconcile() repaired when the engine was opened with `reconcile: true`. */
  get reconciledAtOpen(): ReconcileReport | undefined {
    return this.startupReport;
  }

  /** Where sandboxes' hosts and resolv.conf are written: <etcDir>/netns/<name>/. */
  get etcDir(): string {
    return this.ctx.etcDir;
  }

  /** The state directories in use. */
  get stateDirs(): { runtime: string; config: string } {
    return { ...this.ctx.state.dirs };
  }

  /**
   * Every change this engine makes from now on (a daemon's engine makes every
   * client's): networks, sandboxes, endpoints, published ports, firewall
   * repairs. Stop with close() or by leaving `for await`.
   */
  events(): EventSubscription<ModelEvent> {
    return this.ctx.events.subscribe();
  }

  /** Makes kernel and state agree after a restart or crash (see ReconcileReport). */
  reconcile(): Promise<ReconcileReport> {
    return reconcile(this.ctx);
  }

  /** The host's netplumb world from the kernel and the state, drift included (changes nothing). */
  graph(): Promise<HostGraph> {
    return collectGraph(this.ctx);
  }

  /** State files that listings skipped because they are damaged (reconcile() repairs or quarantines them). */
  get damagedState(): Damage[] {
    return [...this.ctx.state.damaged.values()];
  }

  /** Finishes background work now: deletes the veth pairs that removed sandboxes left down (with `background`, or whose namespace something still held). */
  settle(): Promise<void> {
    return this.ctx.reaper.flush();
  }

  /** How this host stands with its cluster; undefined without the cluster option. */
  get cluster(): ClusterStatus | undefined {
    return this.agent?.status();
  }

  /**
   * Stops the DNS responders, finishes background work and leaves the cluster
   * (its records go from the store, so the other hosts drop this one).
   * Networks and sandboxes stay: they are state, not process.
   */
  async close(): Promise<void> {
    await this.ctx.warmPool?.close();
    delete this.ctx.warmPool;
    await this.agent?.close();
    this.agent = undefined;
    delete this.ctx.cluster;
    await this.ctx.reaper.flush();
    this.ctx.dns?.close();
    await this.guard?.close();
    this.guard = undefined;
  }

  /**
   * The warm pools: how many namespaces are ready per network id, and a
   * promise that settles once no refill runs (the pools are full, or the
   * last refill failed: `lastError`).
   */
  get pool(): { ready: Record<string, number>; settled(): Promise<void>; lastError: unknown } {
    const pool = this.ctx.warmPool;
    return { ready: pool?.counts() ?? {}, settled: () => pool?.settled() ?? Promise.resolve(), lastError: pool?.lastError };
  }

  /** How many times the firewall guard rebuilt the firewall (0 without guardFirewall). */
  get firewallRepairs(): number {
    return this.guard?.repaired ?? 0;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
