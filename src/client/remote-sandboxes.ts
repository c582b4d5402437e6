// engine.sandboxes of an engine behind netplumbd. A create carries an
// idempotency key (one is made when the caller gives none), so a create
// whose answer a daemon restart swallowed is sent again and answered with
// the sandbox it made, never a second one.
import { NoSuchObjectError } from '../core/errors.js';
import type { ExecOptions, ExecResult, NetworkConnectOptions, PublishedPort, SandboxCreateOptions, SandboxInfo, SandboxesApi } from '../model/index.js';
import type { Netns } from '../netns.js';
import { apiPaths } from './api.js';
import type { Caller } from './caller.js';

let keys = 0;

/** Unique among this host's clients for as long as a sandbox lives: pid, time, a counter and random digits. */
function newIdempotencyKey(): string {
  keys++;
  return `np-${process.pid}-${Date.now().toString(36)}-${keys}-${Math.random().toString(36).slice(2, 12)}`;
}

export class RemoteSandboxes implements SandboxesApi {
  constructor(
    private readonly caller: Caller,
    /** The daemon's pid: a host-mode sandbox's namespace is the daemon's own. */
    private readonly daemonPid: () => Promise<number>,
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

  exec(ref: string, argv: string[], o: ExecOptions = {}): Promise<ExecResult> {
    return this.caller.call('POST', apiPaths.sandboxExec(ref), { argv, ...o });
  }

  /** The sandbox's namespace, opened in this process (which needs the addon and the rights to open it). */
  async netns(ref: string): Promise<Netns> {
    const s = await this.inspect(ref);
    const { Netns } = await import('../netns.js');
    return Netns.open({ path: s.mode === 'host' || s.netnsPath === '' ? `/proc/${await this.daemonPid()}/ns/net` : s.netnsPath });
  }
}
