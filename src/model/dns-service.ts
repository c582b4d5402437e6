// Name resolution on user networks, like Docker's embedded DNS: one responder
// per network, listening on the network's gateway address (port 53, UDP and
// TCP) in the host namespace, answering for the names and aliases of the
// sandboxes on that network (and PTR for their addresses, as
// "<name>.<network>") and forwarding other names to the upstream resolvers
// (none on internal networks). The responders live as long as the engine that
// runs them.
import type dgram from 'node:dgram';
import type net from 'node:net';
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { NameTable } from '../dns/names.js';
import { DnsResponder, type Upstream } from '../dns/resolver.js';
import type { Netns } from '../netns.js';
import { bindUdp, connectTcp, listenTcp } from '../kernel/sockets.js';
import { shortId } from './state/names.js';
import { servesDns } from './networks/drivers/index.js';
import type { NetworkRecord, SandboxRecord } from './state/records.js';

/** Names of a sandbox on another host of an overlay network (from the cluster store). */
export interface RemoteName {
  /** Its endpoint id. */
  owner: string;
  names: string[];
  addresses: string[];
}

/** NameTable owners of remote names carry this prefix, so that a resync from local state keeps them. */
const REMOTE = 'remote:';

export interface DnsOptions {
  /** Where other names go; default: the nameservers of `resolvConfPath` (the host's /etc/resolv.conf). */
  upstreams?: Upstream[];
  resolvConfPath?: string;
  /** Per-upstream wait before the next is tried (default 2000 ms). */
  timeoutMs?: number;
  /** Port to listen on, UDP and TCP (default 53). */
  port?: number;
  /** Close DNS-over-TCP client connections idle this long (default 10000 ms). */
  tcpIdleTimeoutMs?: number;
}

interface NetworkResponder {
  network: NetworkRecord;
  names: NameTable;
  socket: dgram.Socket;
  tcp: net.Server;
  /** Where forwarded queries leave from; the responder closes only sockets it made itself. */
  upstream: dgram.Socket;
  responder: DnsResponder;
}

export interface DnsState {
  networks: NetworkRecord[];
  sandboxes: SandboxRecord[];
}

/** Where follow() reads the state: one sandbox (undefined when it is gone or not whole yet), or all of it. */
export interface DnsSource {
  sandbox(id: string): Promise<SandboxRecord | undefined>;
  all(): Promise<DnsState>;
}

export class DnsService {
  private readonly responders = new Map<string, NetworkResponder>();
  private readonly starting = new Map<string, Promise<void>>();
  private readonly watchers: FSWatcher[] = [];
  private readonly remote = new Map<string, RemoteName[]>();
  private resync: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly host: Netns,
    private readonly opts: DnsOptions = {},
  ) {}

  /** Serves every user network and registers every sandbox (on engine open). */
  async start(networks: readonly NetworkRecord[], sandboxes: readonly SandboxRecord[]): Promise<void> {
    for (const n of networks) await this.addNetwork(n);
    for (const s of sandboxes) this.updateSandbox(s);
  }

  /** Starts serving a network; a second call while the first is under way waits for it. */
  addNetwork(n: NetworkRecord): Promise<void> {
    if (!servesDns(n) || this.responders.has(n.id)) return Promise.resolve();
    let starting = this.starting.get(n.id);
    if (!starting) {
      starting = this.serve(n).finally(() => this.starting.delete(n.id));
      this.starting.set(n.id, starting);
    }
    return starting;
  }

  private async serve(n: NetworkRecord): Promise<void> {
    const port = this.opts.port ?? 53;
    const socket = await bindUdp(this.host, { address: n.ipv4.gateway, port });
    let tcp: net.Server;
    let upstream: dgram.Socket;
    try {
      tcp = await listenTcp(this.host, { address: n.ipv4.gateway, port });
      try {
        // Forwarded queries leave from the host namespace too, whatever namespace this process runs in.
        upstream = await bindUdp(this.host, { address: '0.0.0.0', port: 0 });
      } catch (e) {
        tcp.close();
        throw e;
      }
    } catch (e) {
      socket.close();
      throw e;
    }
    const names = new NameTable();
    const responder = new DnsResponder(socket, {
      names,
      domain: n.name,
      createUpstreamSocket: () => upstream,
      connectUpstreamTcp: (up, timeoutMs) => connectTcp(this.host, { host: up.address, port: up.port, timeoutMs }),
      forward: !n.internal,
      ...(this.opts.upstreams ? { upstreams: this.opts.upstreams } : {}),
      ...(this.opts.resolvConfPath ? { resolvConfPath: this.opts.resolvConfPath } : {}),
      ...(this.opts.timeoutMs !== undefined ? { timeoutMs: this.opts.timeoutMs } : {}),
      ...(this.opts.tcpIdleTimeoutMs !== undefined ? { tcpIdleTimeoutMs: this.opts.tcpIdleTimeoutMs } : {}),
    });
    responder.serveTcp(tcp);
    const r: NetworkResponder = { network: n, names, socket, tcp, upstream, responder };
    this.responders.set(n.id, r);
    this.registerRemote(r);
  }

  /** Sets the names of a network's sandboxes on other hosts (an overlay's, read from the cluster store). */
  setRemoteNames(networkId: string, names: RemoteName[]): void {
    this.remote.set(networkId, names);
    const r = this.responders.get(networkId);
    if (r) this.registerRemote(r);
  }

  private registerRemote(r: NetworkResponder): void {
    const want = this.remote.get(r.network.id) ?? [];
    const keep = new Set(want.map((x) => REMOTE + x.owner));
    for (const o of r.names.owners()) if (o.startsWith(REMOTE) && !keep.has(o)) r.names.unregister(o);
    for (const x of want) {
      try {
        r.names.register(REMOTE + x.owner, x.names, x.addresses);
      } catch {
        // a record another host wrote badly: its names stay unanswered
      }
    }
  }

  removeNetwork(networkId: string): void {
    const r = this.responders.get(networkId);
    if (!r) return;
    r.responder.close();
    r.socket.close();
    r.tcp.close();
    // The responder closes it too when it forwarded something; a second close throws.
    try {
      r.upstream.close();
    } catch {
      // already closed
    }
    this.responders.delete(networkId);
  }

  /** (Re)registers a sandbox's names on the networks it is on, and forgets it on the others. */
  updateSandbox(s: SandboxRecord): void {
    for (const r of this.responders.values()) {
      const e = s.endpoints.find((x) => x.networkId === r.network.id);
      if (!e || s.removed) {
        r.names.unregister(s.id);
        continue;
      }
      const names = [s.name, shortId(s.id), ...e.aliases];
      if (s.hostname !== shortId(s.id)) names.push(s.hostname);
      r.names.register(s.id, names, [e.ipv4, ...(e.ipv6 ? [e.ipv6] : [])]);
    }
  }

  removeSandbox(sandboxId: string): void {
    for (const r of this.responders.values()) r.names.unregister(sandboxId);
  }

  /**
   * Follows what other processes (other engines, CLI commands) change in the
   * state, so every process serving a network answers the same names. A
   * changed sandbox document is read again on its own (a change costs one
   * read, however many sandboxes there are); a changed network, or a change
   * the watcher could not name, reads the whole state again.
   */
  follow(dirs: { networks: string; sandboxes: string }, source: DnsSource): void {
    const changedSandboxes = new Set<string>();
    let everything = false;
    const run = (): void => {
      if (this.resync) {
        this.again = true;
        return;
      }
      this.resync = (async () => {
        do {
          this.again = false;
          if (everything) {
            everything = false;
            changedSandboxes.clear();
            await this.apply(await source.all());
            continue;
          }
          const ids = [...changedSandboxes];
          changedSandboxes.clear();
          for (const id of ids) {
            const s = await source.sandbox(id).catch(() => {
              // A document that cannot be read: the whole state, which skips it, decides.
              everything = true;
              return undefined;
            });
            if (s) this.updateSandbox(s);
            else this.removeSandbox(id);
          }
        } while (this.again || changedSandboxes.size > 0 || everything);
      })()
        .catch(() => undefined)
        .finally(() => (this.resync = undefined));
    };
    const watchDir = (dir: string, onFile: (file: string | null) => void): void => {
      mkdirSync(dir, { recursive: true });
      const w = watch(dir, (_event, file) => onFile(file === null ? null : String(file)));
      w.unref();
      this.watchers.push(w);
    };
    watchDir(dirs.networks, () => {
      everything = true;
      run();
    });
    watchDir(dirs.sandboxes, (file) => {
      const id = file === null ? undefined : /^([0-9a-f]{64})\.json$/.exec(file)?.[1];
      if (file !== null && id === undefined) return; // temp files of atomic writes
      if (id === undefined) everything = true;
      else changedSandboxes.add(id);
      run();
    });
  }

  private async apply(state: DnsState): Promise<void> {
    const live = new Set(state.networks.map((n) => n.id));
    for (const id of [...this.responders.keys()]) if (!live.has(id)) this.removeNetwork(id);
    for (const n of state.networks) await this.addNetwork(n).catch(() => undefined);
    const present = new Set(state.sandboxes.map((x) => x.id));
    for (const r of this.responders.values())
      for (const owner of r.names.owners()) if (!present.has(owner) && !owner.startsWith(REMOTE)) r.names.unregister(owner);
    for (const x of state.sandboxes) this.updateSandbox(x);
  }

  close(): void {
    for (const w of this.watchers.splice(0)) w.close();
    for (const id of [...this.responders.keys()]) this.removeNetwork(id);
  }
}
