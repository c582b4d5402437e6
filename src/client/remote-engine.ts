// An engine behind netplumbd (Engine.connect): the same networks, sandboxes,
// reconcile and events as Engine.open gives, each a request over the socket.
// It loads no addon and no model code, only an HTTP client, so a short-lived
// client (the CLI) starts fast.
import { NetplumbError } from '../core/errors.js';
import { EventQueue, type EventSubscription, type ModelEvent } from '../model/events.js';
import type { EngineApi, HostGraph, ReconcileReport } from '../model/index.js';
import { parseAddress, DEFAULT_SOCKET } from './address.js';
import { apiPaths, type DaemonDescription } from './api.js';
import { Caller } from './caller.js';
import { RemoteNetworks } from './remote-networks.js';
import { RemoteSandboxes } from './remote-sandboxes.js';
import { Transport, type TlsCredentials } from './transport.js';
import { runningDaemon } from '../store/daemon-info.js';
import { stateDirs } from '../store/dirs.js';

export interface EngineConnectOptions {
  /**
   * Where netplumbd listens: a unix socket path (or unix:///path), or
   * tcp://HOST:PORT with `tls`. Default NETPLUMB_HOST, else where the daemon
   * owning the state root (NETPLUMB_STATE_DIR or the default) listens, else
   * /run/netplumb/netplumb.sock.
   */
  socket?: string;
  /** Client certificate, key and the CA that signed the daemon's, for tcp://. */
  tls?: TlsCredentials;
  /** How long a request waits for a daemon that went away (a restart) to answer again (default 10 000 ms). */
  reconnectTimeoutMs?: number;
  /** How long the first request waits for a daemon whose socket does not answer yet (one that is starting); default 0: fail at once. */
  startTimeoutMs?: number;
  /**
   * Ask the daemon who it is while connecting (default true), which proves
   * that it answers and fills `daemon`, `etcDir` and `stateDirs`. False sends
   * nothing until the first call: one request fewer for a one-shot client
   * such as the CLI, which then calls describe() if it needs those.
   */
  probe?: boolean;
}

export class RemoteEngine implements EngineApi {
  readonly networks: RemoteNetworks;
  readonly sandboxes: RemoteSandboxes;

  private description: DaemonDescription | undefined;

  private constructor(private readonly caller: Caller) {
    this.networks = new RemoteNetworks(caller);
    this.sandboxes = new RemoteSandboxes(caller, () => this.describe());
  }

  /** Connects to netplumbd and (unless `probe: false`) asks who it is, which also proves it answers. */
  static async connect(o: EngineConnectOptions = {}): Promise<RemoteEngine> {
    const claimed = runningDaemon(stateDirs().runtime)?.sockets[0];
    const address = parseAddress(o.socket ?? process.env.NETPLUMB_HOST ?? claimed ?? DEFAULT_SOCKET, 'socket');
    const engine = new RemoteEngine(new Caller(new Transport(address, o.tls), { startTimeoutMs: o.startTimeoutMs ?? 0, reconnectTimeoutMs: o.reconnectTimeoutMs ?? 10_000 }));
    if (o.probe !== false) await engine.describe();
    return engine;
  }

  /** What the daemon says about itself (asked once). */
  async describe(): Promise<DaemonDescription> {
    this.description ??= await this.caller.call<DaemonDescription>('GET', apiPaths.info, undefined, { replay: 'idempotent' });
    return this.description;
  }

  /** What the daemon said about itself when we connected (after describe() when connected with `probe: false`). */
  get daemon(): DaemonDescription {
    if (!this.description) throw new NetplumbError('this engine was connected with probe: false; await engine.describe() before reading daemon, etcDir or stateDirs');
    return this.description;
  }

  get etcDir(): string {
    return this.daemon.etcDir;
  }

  get stateDirs(): { runtime: string; config: string } {
    return { ...this.daemon.stateDirs };
  }

  reconcile(): Promise<ReconcileReport> {
    return this.caller.call('POST', apiPaths.reconcile);
  }

  /** The daemon's picture of the host (its kernel and its state). */
  graph(): Promise<HostGraph> {
    return this.caller.call('GET', apiPaths.graph, undefined, { replay: 'idempotent' });
  }

  /** Waits for the daemon's background work (as Engine.settle). */
  async settle(): Promise<void> {
    await this.caller.call('POST', apiPaths.settle);
  }

  /** The daemon's stream of changes (every client's); it ends when the daemon stops. */
  events(): EventSubscription<ModelEvent> {
    let stop = (): void => undefined;
    const q = new EventQueue<ModelEvent>(() => stop());
    q.ready = this.caller.transport.open('GET', apiPaths.events).then((res) => {
      stop = () => res.destroy();
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) q.push(JSON.parse(line) as ModelEvent);
      });
      res.on('close', () => q.close());
    });
    // A stream that could not be opened ends at once; `ready` carries the reason.
    q.ready.catch(() => q.close());
    return q;
  }

  async close(): Promise<void> {
    this.caller.transport.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
