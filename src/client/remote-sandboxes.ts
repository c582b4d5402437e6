// engine.sandboxes of an engine behind netplumbd. A create carries an
// idempotency key (one is made when the caller gives none), so a create
// whose answer a daemon restart swallowed is sent again and answered with
// the sandbox it made, never a second one.
import { NoSuchObjectError } from '../core/errors.js';
import { netnsEtcDir } from '../core/netns-paths.js';
import type { ChildProcess } from 'node:child_process';
import type { ExecResult, LaunchOptions, LaunchTarget } from '../kernel/launch.js';
import type { NetworkConnectOptions, PublishedPort, SandboxCreateOptions, SandboxInfo, SandboxesApi } from '../model/index.js';
import type { Netns } from '../netns.js';
import { apiPaths, type DaemonDescription } from './api.js';
import type { Caller } from './caller.js';

/** The options of exec that cross the wire to the daemon. */
export interface RemoteExecOptions {
  input?: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

let keys = 0;

/** Unique among this host's clients for as long as a sandbox lives: pid, time, a counter and random digits. */
function newIdempotencyKey(): string {
  keys++;
  return `np-${process.pid}-${Date.now().toString(36)}-${keys}-${Math.random().toString(36).slice(2, 12)}`;
}

export class RemoteSandboxes implements SandboxesApi {
  constructor(
    private readonly caller: Caller,
    /** Who the daemon is (its pid: a host-mode sandbox's namespace is the daemon's own; its etc directory: sandboxes' hosts and resolv.conf are under <etcDir>/netns/<name>/), asked once. */
    private readonly daemon: () => Promise<DaemonDescription>,
  ) {}

  create(o: SandboxCreateOptions = {}): Promise<SandboxInfo> {
    const body: SandboxCreateOptions = { ...o, idempotencyKey: o.idempotencyKey ?? newIdempotencyKey() };
    return this.caller.call('POST', apiPaths.sandboxes, body, { replay: 'idempotent' });
  }

  connect(sandboxRef: string, networkRef: string, o: NetworkConnectOptions = {}): Promise<SandboxInfo> {
    return this.caller.call('POST', apiPaths.sandboxConnect(sandboxRef), { network: networkRef, ...o });
  }

  disconnect(sandboxRef: string, networkRef: string): Promise<SandboxInfo> {
    return this.caller.call('POST', apiPaths.sandboxDisconnect(sandboxRef), { network: networkRef });
  }

  async remove(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    // Sent again after a broken connection, "already gone" is the first attempt's success.
    let replayed = false;
    try {
      await this.caller.call('DELETE', `${apiPaths.sandbox(ref)}${opts.force ? '?force=1' : ''}`, undefined, {
        replay: 'idempotent',
        onReplay: () => (replayed = true),
      });
    } catch (e) {
      if (!(replayed && e instanceof NoSuchObjectError)) throw e;
    }
  }

  inspect(ref: string): Promise<SandboxInfo> {
    return this.caller.call('GET', apiPaths.sandbox(ref), undefined, { replay: 'idempotent' });
  }

  list(): Promise<SandboxInfo[]> {
    return this.caller.call('GET', apiPaths.sandboxes, undefined, { replay: 'idempotent' });
  }

  ports(ref: string): Promise<PublishedPort[]> {
    return this.caller.call('GET', apiPaths.sandboxPorts(ref), undefined, { replay: 'idempotent' });
  }

  /** Runs argv to its end in the sandbox, in the daemon; what can cross the wire of ExecOptions. */
  exec(ref: string, argv: readonly string[], o: RemoteExecOptions = {}): Promise<ExecResult> {
    return this.caller.call('POST', apiPaths.sandboxExec(ref), { argv, ...o });
  }

  /** Where the sandbox's processes run, for a process this client starts itself (it needs the rights to enter the namespace). */
  async launchTarget(ref: string): Promise<LaunchTarget> {
    const [s, daemon] = await Promise.all([this.inspect(ref), this.daemon()]);
    if (s.mode === 'host' || s.netnsPath === '') return { netnsPath: `/proc/${daemon.pid}/ns/net` };
    // A namespace the daemon named is one it made (owned): its processes get the sandbox's hostname, as in process.
    return s.netnsName === undefined ? { netnsPath: s.netnsPath } : { netnsPath: s.netnsPath, etcDir: netnsEtcDir(s.netnsName, daemon.etcDir), hostname: s.hostname };
  }

  /** Starts a process in the sandbox from this process (as `docker exec` runs in the daemon's, this needs the same rights). */
  async spawn(ref: string, argv: readonly string[], opts: LaunchOptions = {}): Promise<ChildProcess> {
    const { spawnIn } = await import('../kernel/launch.js');
    return spawnIn(await this.launchTarget(ref), argv, opts);
  }

  /** The sandbox's namespace, opened in this process (which needs the addon and the rights to open it). */
  async netns(ref: string): Promise<Netns> {
    const s = await this.inspect(ref);
    const { Netns } = await import('../netns.js');
    return Netns.open({ path: s.mode === 'host' || s.netnsPath === '' ? `/proc/${(await this.daemon()).pid}/ns/net` : s.netnsPath });
  }
}
