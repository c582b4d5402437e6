// One "host" of a cluster test: a Node process of its own running an Engine
// on the host's namespace and its own state directory — what netplumbd is on
// a real host. The test calls the engine through IPC (method names as
// `networks.create`, arguments as JSON) and kills the process to stand for a
// host that dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildLib } from '../../model/support/child.js';

const BODY = `
import { Engine, Netns } from './netplumb.mjs';
const args = JSON.parse(process.argv[2]);
const host = await Netns.open({ name: args.netns });
const errors = [];
let engine;
try {
  engine = await Engine.open({ host, stateDir: args.stateDir, ...(args.options ?? {}), cluster: { ...args.cluster, onError: (e) => errors.push(e.message) } });
} catch (e) {
  process.send({ failed: { name: e.constructor.name, message: e.message, field: e.field } });
  process.exit(1);
}
process.on('message', async (m) => {
  try {
    let result;
    if (m.method === 'cluster') result = engine.cluster;
    else if (m.method === 'errors') result = errors.splice(0);
    else if (m.method === 'close') {
      await engine.close();
      process.send({ id: m.id, result: null }, () => process.exit(0));
      return;
    } else {
      const [part, fn] = m.method.split('.');
      result = await engine[part][fn](...m.args);
    }
    process.send({ id: m.id, result: result ?? null });
  } catch (e) {
    process.send({ id: m.id, error: { name: e.constructor.name, message: e.message, reason: e.reason, store: e.store, field: e.field } });
  }
});
process.send({ ready: true });
`;

export interface RemoteError {
  name: string;
  message: string;
  reason?: string;
  store?: string;
  field?: string;
}

export class HostProcess {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  readonly exited: Promise<void>;

  private constructor(readonly name: string, readonly child: ChildProcess) {
    child.on('message', (m: { id?: number; result?: unknown; error?: RemoteError }) => {
      if (m.id === undefined) return;
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error) w?.reject(Object.assign(new Error(`${m.error.name}: ${m.error.message}`), m.error));
      else w?.resolve(m.result);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => {
      for (const w of this.waiting.values()) w.reject(new Error(`host ${name} exited`));
      this.waiting.clear();
      resolve();
    }));
  }

  /** Starts the host's engine; rejects with the engine's error when Engine.open refuses. */
  static async start(lib: ChildLib, a: { netns: string; stateDir: string; cluster: Record<string, unknown>; options?: Record<string, unknown> }): Promise<HostProcess> {
    const file = join(lib.dir, 'lib', 'addon', 'cluster-host.mjs');
    writeFileSync(file, BODY);
    const child = spawn(process.execPath, [file, JSON.stringify(a)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<{ ready?: boolean; failed?: RemoteError }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { ready?: boolean; failed?: RemoteError }));
      child.once('exit', (code) => reject(new Error(`host ${a.netns} exited (${code}) before its engine opened`)));
    });
    if (ready.failed) throw Object.assign(new Error(`${ready.failed.name}: ${ready.failed.message}`), ready.failed);
    return new HostProcess(a.netns, child);
  }

  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, method, args });
    });
  }

  /** Engine.close (the host leaves the cluster), then the process ends. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.call('close').catch(() => undefined);
    await this.exited;
  }

  /** The host dies: no close, its lease runs out in the store. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
