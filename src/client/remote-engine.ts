// An engine behind netplumbd (Engine.connect): the same networks, sandboxes,
// reconcile and events as Engine.open gives, each a request over the socket.
// It loads no addon and no model code, only an HTTP client, so a short-lived
// client (the CLI) starts fast.
import { EventQueue, type EventSubscription, type ModelEvent } from '../model/events.js';
import type { EngineApi, ReconcileReport } from '../model/index.js';
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
  /** How long connect() waits for a daemon whose socket does not answer yet (one that is starting); default 0: fail at once. */
  startTimeoutMs?: number;
}

export class RemoteEngine implements EngineApi {
  readonly networks: RemoteNetworks;
  readonly sandboxes: RemoteSandboxes;

  private constructor(
    private readonly caller: Caller,
    /** What the daemon said about itself when we connected. */
    readonly daemon: DaemonDescription,
  ) {
    this.networks = new RemoteNetworks(caller);
    this.sandboxes = new RemoteSandboxes(caller, daemon.pid, daemon.etcDir);
  }

  /** Connects to netplumbd and asks who it is (which also proves it answers). */
  static async connect(o: EngineConnectOptions = {}): Promise<RemoteEngine> {
    const claimed = runningDaemon(stateDirs().runtime)?.sockets[0];
    const address = parseAddress(o.socket ?? process.env.NETPLUMB_HOST ?? claimed ?? DEFAULT_SOCKET, 'socket');
    const caller = new Caller(new Transport(address, o.tls), o.reconnectTimeoutMs ?? 10_000);
    try {
      return new RemoteEngine(caller, await caller.call<DaemonDescription>('GET', apiPaths.info, undefined, { replay: 'idempotent', patienceMs: o.startTimeoutMs ?? 0 }));
    } catch (e) {
      caller.transport.close();
      throw e;
    }
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
