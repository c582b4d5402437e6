// The handle orchestrators import: networks and sandboxes over a state
// directory, with the bridges and the firewall in one namespace (the "host").
import { join } from 'node:path';
import type { AddressPool } from '../addressing/ipam.js';
import type { PortRange } from '../addressing/port-spec.js';
import { Netns, DEFAULT_NETNS_DIR } from '../netns.js';
import type { DefaultBridgeOptions, ModelContext } from './context.js';
import { DnsService, type DnsOptions } from './dns-service.js';
import { ensureFirewall } from './firewall/setup.js';
import { FirewallGuard } from './firewall/guard.js';
import { Networks } from './networks/networks.js';
import { reconcile, type ReconcileReport } from './reconcile.js';
import { Sandboxes } from './sandboxes/sandboxes.js';
import { ModelState } from './state/state.js';
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
   * Warm pools: per network (name or id), this many namespaces kept ready
   * with their veth pair already on the network's bridge (both ends down, no
   * address), refilled in the background whenever this engine is idle. A
   * create on that network then only addresses, routes and publishes. Size 0
   * (the default) keeps none. The engine deletes its pooled namespaces when
   * it closes; reconcile deletes those of engines that are gone.
   */
  pool?: PoolOptions[];
}

function etcDir(o: EngineOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (o.etcDir !== undefined) return o.etcDir;
  if (env.NETPLUMB_ETC_DIR) return env.NETPLUMB_ETC_DIR;
  const root = o.stateDir ?? env.NETPLUMB_STATE_DIR;
  return root ? join(root, 'etc') : '/etc';
}

export class Engine implements AsyncDisposable {
  readonly networks: Networks;
  readonly sandboxes: Sandboxes;

  private guard: FirewallGuard | undefined;

  private constructor(private readonly ctx: ModelContext) {
    this.networks = new Networks(ctx);
    this.sandboxes = new Sandboxes(ctx, this.networks);
  }

  static async open(o: EngineOptions = {}): Promise<Engine> {
    const host = o.host ?? Netns.host();
    const dns = o.dns === false ? undefined : new DnsService(host, o.dns ?? {});
    const ctx: ModelContext = {
      state: ModelState.fromOptions(o),
      host,
      netnsDir: o.netnsDir ?? DEFAULT_NETNS_DIR,
      etcDir: etcDir(o),
      defaultBridge: o.defaultBridge ?? {},
      firewallOwner: o.firewallOwner ?? false,
      ...(o.addressPools ? { pools: o.addressPools } : {}),
      ...(o.ephemeralPorts ? { ephemeralPorts: o.ephemeralPorts } : {}),
      ...(dns ? { dns } : {}),
    };
    if ((await ctx.state.networks()).length > 0) await ensureFirewall(host, ctx.firewallOwner);
    const engine = new Engine(ctx);
    if (o.reconcile) await engine.reconcile();
    if (o.pool?.some((p) => p.size > 0)) {
      ctx.pool = new WarmPool(ctx, o.pool);
      ctx.pool.schedule();
    }
    if (o.guardFirewall) engine.guard = await FirewallGuard.start(ctx);
    if (dns) {
      await dns.start(await ctx.state.networks(), await ctx.state.sandboxes());
      const { dirs } = ctx.state;
      dns.follow(
        { networks: join(dirs.config, 'networks'), sandboxes: join(dirs.runtime, 'sandboxes') },
        {
          sandbox: (id) => ctx.state.sandbox(id),
          all: async () => ({ networks: await ctx.state.networks(), sandboxes: await ctx.state.sandboxes() }),
        },
      );
    }
    return engine;
  }

  /** Where sandboxes' hosts and resolv.conf are written: <etcDir>/netns/<name>/. */
  get etcDir(): string {
    return this.ctx.etcDir;
  }

  /** The state directories in use. */
  get stateDirs(): { runtime: string; config: string } {
    return { ...this.ctx.state.dirs };
  }

  /** Makes kernel and state agree after a restart or crash (see ReconcileReport). */
  reconcile(): Promise<ReconcileReport> {
    return reconcile(this.ctx);
  }

  /** Stops the DNS responders. Networks and sandboxes stay: they are state, not process. */
  async close(): Promise<void> {
    await this.ctx.pool?.close();
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
    const pool = this.ctx.pool;
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
