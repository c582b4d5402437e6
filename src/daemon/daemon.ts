// netplumbd: one Engine per host and state root, behind a socket. Start:
// claim the state root (a second daemon is refused), open the engine as the
// firewall's owner with its guard on, reconcile and report, make the default
// network, then listen. Stop (SIGTERM): stop accepting, answer what is in
// flight, end event streams, let go of the engine and the claim. Networks
// and sandboxes stay: they are state, not process.
import { mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatAddress } from '../client/address.js';
import type { DaemonDescription } from '../client/api.js';
import { DaemonRunningError, LockTimeoutError } from '../core/errors.js';
import { canonicalAddress, formatPrefix, network, parsePrefix } from '../addressing/ipnet.js';
import { Engine, type EngineOptions, type EventSubscription, type ModelEvent } from '../model/index.js';
import { ModelState } from '../model/state/state.js';
import { claimStateRoot, type DaemonClaim } from '../store/daemon-claim.js';
import { runningDaemon } from '../store/daemon-info.js';
import { derivedId } from './docker/network-view.js';
import { EventLog } from './event-log.js';
import { HttpFront } from './http/front.js';
import { Router } from './http/router.js';
import { listenAll, type Listener } from './listen.js';
import { listenCniSocket, type CniSocket } from './cni-socket.js';
import type { Logger } from './logger.js';
import { DaemonMetrics } from './metrics.js';
import { Operations } from './operations.js';
import type { DaemonOptions } from './options.js';
import { ROUTE_MODULES } from './routes/index.js';
import type { DaemonServices } from './services.js';


function defaultBridge(o: DaemonOptions): EngineOptions['defaultBridge'] {
  const d: NonNullable<EngineOptions['defaultBridge']> = {};
  if (o.bridge !== undefined && o.bridge !== 'none') d.bridge = o.bridge;
  if (o.bip !== undefined) {
    const prefix = parsePrefix(o.bip, 'bip');
    d.subnet = formatPrefix(network(prefix));
    d.gateway = canonicalAddress(o.bip.split('/')[0] as string, 'bip');
  }
  return d;
}


export class Daemon {
  private readonly listeners: Listener[] = [];
  private readonly cniSockets: CniSocket[] = [];
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly o: DaemonOptions,
    private readonly log: Logger,
    private readonly claim: DaemonClaim,
    private readonly engine: Engine,
    private readonly events: EventLog,
    /** The engine's event stream that feeds the log. */
    private readonly feed: EventSubscription<ModelEvent>,
    private readonly front: HttpFront<DaemonServices>,
    readonly description: DaemonDescription,
  ) {}

  static async start(o: DaemonOptions, log: Logger, version: string): Promise<Daemon> {
    const state = ModelState.fromOptions(o.stateDir !== undefined ? { stateDir: o.stateDir } : {});
    // By default netplumb.sock in the runtime directory: /run/netplumb/netplumb.sock for the default state root.
    const addresses = o.hosts.length > 0 ? o.hosts : [{ kind: 'unix' as const, path: join(state.dirs.runtime, 'netplumb.sock') }];
    // Sockets systemd passes are named once they listen (their paths); the others now.
    const hosts = addresses.flatMap((a) => (a.kind === 'fd' ? [] : [formatAddress(a)]));
    let claim: DaemonClaim;
    try {
      claim = await claimStateRoot(state.dirs.runtime, { sockets: hosts, version });
    } catch (e) {
      if (!(e instanceof LockTimeoutError)) throw e;
      const other = runningDaemon(state.dirs.runtime);
      throw new DaemonRunningError(other?.pid ?? e.holderPid ?? 0, other?.sockets[0], state.dirs.runtime);
    }
    let engine: Engine | undefined;
    try {
      engine = await Engine.open({
        ...(o.stateDir !== undefined ? { stateDir: o.stateDir } : {}),
        dns: o.dns ? { upstreams: o.dns } : {},
        firewallOwner: true,
        guardFirewall: true,
        reconcile: true,
        defaultBridge: defaultBridge(o),
        ...(o.pool ? { pool: o.pool } : {}),
        ...(o.cluster ? { cluster: { ...o.cluster, onError: (e: Error) => log.warn({ err: e }, 'cluster: ' + e.message) } } : {}),
      });
      const startupReconcile = engine.reconciledAtOpen;
      log.info({ stateDirs: engine.stateDirs, report: startupReconcile }, 'reconciled the state with the kernel');
      if (o.bridge !== 'none') await engine.networks.ensureDefault();
      // The warm pools start filling now, in the background (the default network may have been made just above).
      if (o.pool) void engine.pool.settled();

      const metrics = new DaemonMetrics(async () => {
        const [networks, sandboxes] = await Promise.all([state.networks(), state.sandboxes()]);
        const live = sandboxes.filter((s) => !s.removed);
        return { networks: networks.length, sandboxes: live.length, publishedPorts: live.reduce((n, s) => n + s.endpoints.reduce((m, e) => m + e.ports.length, 0), 0) };
      });
      if (startupReconcile) metrics.countReconcile(startupReconcile);
      const events = new EventLog();
      const feed = engine.events();
      void (async () => {
        for await (const e of feed) {
          events.add(e);
          if (e.type === 'firewall' && e.action === 'repair') {
            metrics.firewallRepairs.inc();
            log.warn('someone removed part of the firewall; rebuilt it from the records');
          }
        }
      })();
      // Docker's host and none networks have no record; their ids stay the same for a state root.
      mkdirSync(state.dirs.config, { recursive: true });
      const created = statSync(state.dirs.config).birthtime.toISOString();
      const modeNetworks = {
        host: { id: derivedId('network', 'host', state.dirs.config), created },
        none: { id: derivedId('network', 'none', state.dirs.config), created },
      };
      const description: DaemonDescription = {
        name: 'netplumbd',
        version,
        pid: process.pid,
        stateDirs: engine.stateDirs,
        etcDir: engine.etcDir,
        sockets: hosts,
        ...(startupReconcile ? { startupReconcile } : {}),
      };
      const opened = engine;
      const services: DaemonServices = {
        engine: opened,
        state,
        modeNetworks,
        ops: new Operations(metrics),
        events,
        metrics,
        log,
        version,
        describe: () => {
          // The cluster's standing changes as the store comes and goes: read at each ask.
          const cluster = engine?.cluster;
          return cluster ? { ...description, cluster } : description;
        },
      };
      const front = new HttpFront(new Router(ROUTE_MODULES, services), log, metrics);
      const daemon = new Daemon(o, log, claim, opened, events, feed, front, description);
      for (const address of addresses) {
        for (const l of await listenAll(address, (server) => front.attach(server), { group: o.group, log, ...(o.tls ? { tls: o.tls } : {}) })) {
          daemon.listeners.push(l);
          log.info({ listen: l.label }, 'listening');
        }
        if (address.kind !== 'unix') continue;
        const cni = await listenCniSocket(address.path, services, front, o.group);
        if (cni) {
          daemon.cniSockets.push(cni);
          log.info({ listen: `unix://${cni.path}`, for: 'the CNI plugin' }, 'listening');
        }
      }
      const labels = daemon.listeners.map((l) => l.label);
      if (labels.join() !== hosts.join()) {
        description.sockets = labels;
        await claim.describe(labels);
      }
      if (o.pidfile !== undefined) writeFileSync(o.pidfile, `${process.pid}\n`);
      return daemon;
    } catch (e) {
      await engine?.close().catch(() => undefined);
      await claim.release();
      throw e;
    }
  }

  /** Stops accepting, answers what is in flight (streams end), lets go of the engine and the state root. Safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    for (const l of this.listeners) {
      l.server.close();
      l.server.closeIdleConnections();
    }
    for (const c of this.cniSockets) c.close();
    this.feed.close();
    this.events.closeAll();
    const drained = await this.front.drain(this.o.shutdownTimeoutMs);
    if (!drained) this.log.warn({ pending: this.front.pending }, 'shutdown timeout: closing connections with requests still in flight');
    for (const l of this.listeners) {
      l.server.closeAllConnections();
      l.cleanup();
    }
    await this.engine.close();
    if (this.o.pidfile !== undefined) {
      try {
        unlinkSync(this.o.pidfile);
      } catch {
        // already gone
      }
    }
    await this.claim.release();
    this.log.info('stopped; networks and sandboxes stay as they are');
  }
}
