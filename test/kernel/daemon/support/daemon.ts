// netplumbd as the tests run it: the built dist/daemon/main.js in its own
// process, entered into a "host" namespace of the test's (nsenter, as
// `ip netns exec` does), with its state, socket and sandboxes' /etc files in
// a temp directory. Requests go to its unix socket with node:http, or as raw
// bytes for the tests of malformed requests.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Netns } from '../../../../src/index.js';
import { assertSandbox } from '../../support/witness.js';

export const ROOT = resolve(import.meta.dirname, '../../../..');
export const DAEMON = join(ROOT, 'dist', 'daemon', 'main.js');
export const CLI = join(ROOT, 'dist', 'cli', 'main.cjs');

function newestUnder(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestUnder(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/ as it ships (tsc, then the CLI bundle) when a source is newer than the last build; test files share one build. */
export function ensureBuilt(): void {
  const stamp = join(ROOT, 'dist', '.built');
  if (existsSync(CLI) && existsSync(stamp) && statSync(stamp).mtimeMs >= newestUnder(join(ROOT, 'src'))) return;
  execFileSync('npm', ['run', 'build:ts'], { cwd: ROOT, stdio: 'pipe' });
  execFileSync('touch', [stamp]);
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON): tests read whichever keys they check. */
  json: any;
}

/** One request over the unix socket; `body` is sent as JSON unless it is a string or Buffer. */
export function request(socket: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  const h: Record<string, string | number> = { ...(payload && typeof body !== 'string' && !Buffer.isBuffer(body) ? { 'Content-Type': 'application/json' } : {}), ...headers };
  if (payload) h['Content-Length'] = payload.length;
  return new Promise((res, rej) => {
    const req = http.request({ socketPath: socket, method, path, headers: h, agent: false }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        res({ status: r.statusCode ?? 0, headers: r.headers, text, json });
      });
    });
    req.on('error', rej);
    req.end(payload);
  });
}

/** Writes `bytes` to the socket and reads until the daemon closes the connection (or `ms` pass). */
export function raw(socket: string, bytes: string | Buffer, ms = 3000): Promise<string> {
  return new Promise((res, rej) => {
    const s = net.connect(socket);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), ms);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', rej);
    s.on('close', () => {
      clearTimeout(timer);
      res(Buffer.concat(chunks).toString());
    });
    s.write(bytes);
  });
}

export interface DaemonOptions {
  /** The namespace (under /run/netns) the daemon manages as its host; default the sandbox's own. */
  netns?: string;
  /** More flags for netplumbd. */
  args?: string[];
}

/** One netplumbd over a temp state directory; start() and restart() spawn it, stop() and kill() end it. */
export class TestDaemon {
  readonly dir: string;
  readonly stateDir: string;
  readonly socket: string;
  readonly etcDir: string;
  child: ChildProcess | undefined;
  stdout = '';
  stderr = '';
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(readonly o: DaemonOptions) {
    // Under the sandbox's /run (tmpfs), as the daemon's default runtime state: state writes are fsynced, and on a disk that costs more than the kernel work.
    this.dir = mkdtempSync('/run/npd-');
    this.stateDir = join(this.dir, 'state');
    this.socket = join(this.dir, 'np.sock');
    this.etcDir = join(this.dir, 'etc');
  }

  /** The environment netplumb processes of this test get (CLI, clients): this daemon's state. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, NETPLUMB_STATE_DIR: this.stateDir, NETPLUMB_ETC_DIR: this.etcDir };
  }

  /** Spawns the daemon (without waiting for it). */
  spawn(extra: string[] = []): ChildProcess {
    const enter = this.o.netns === undefined ? [] : ['nsenter', `--net=/run/netns/${this.o.netns}`, '--'];
    const args = [...enter, process.execPath, DAEMON, '--state-dir', this.stateDir, '-H', `unix://${this.socket}`, '--dns', '127.0.0.1', '--log-level', 'debug', ...(this.o.args ?? []), ...extra];
    const [file, ...rest] = args as [string, ...string[]];
    const child = spawn(file, rest, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    this.child = child;
    // Whatever a failed test left running ends with the test process, never outlives it.
    const reap = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    return child;
  }

  /** Spawns the daemon and waits until it answers /_ping. */
  async start(extra: string[] = []): Promise<void> {
    const child = this.spawn(extra);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`netplumbd exited (${child.exitCode ?? child.signalCode}): ${this.stderr}${this.stdout}`);
      try {
        if ((await request(this.socket, 'GET', '/_ping')).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`netplumbd did not answer within 30 s: ${this.stderr}${this.stdout}`);
      await sleep(50);
    }
  }

  /** Sends SIGTERM and waits for the exit. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.child || !this.exited) throw new Error('not started');
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** kill -9, and waits until it is gone. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** The daemon's log lines (JSON). */
  logs(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /**
   * Runs the netplumb CLI against this daemon's state, in the daemon's
   * namespace: when no daemon answers, it works in-process on the same
   * bridges and firewall the daemon would.
   */
  cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const enter = this.o.netns === undefined ? [] : ['nsenter', `--net=/run/netns/${this.o.netns}`, '--'];
    const [file, ...rest] = [...enter, process.execPath, CLI, ...args] as [string, ...string[]];
    return new Promise((res) => {
      const child = spawn(file, rest, { env: { ...this.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code) => res({ code, stdout, stderr }));
    });
  }

  /** Removes every sandbox and user network through the API, then the temp directory (the daemon must be running). */
  async cleanup(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      const sandboxes = (await request(this.socket, 'GET', '/netplumb/v1/sandboxes')).json as { id: string }[];
      for (const s of sandboxes ?? []) await request(this.socket, 'DELETE', `/netplumb/v1/sandboxes/${s.id}?force=1`);
      const networks = (await request(this.socket, 'GET', '/netplumb/v1/networks')).json as { Id: string; Name: string }[];
      for (const n of networks ?? []) await request(this.socket, 'DELETE', `/netplumb/v1/networks/${n.Id}?force=1`);
      await this.stop();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface DaemonInNamespace {
  host: Netns;
  daemon: TestDaemon;
  /** Removes the daemon's sandboxes and networks, stops it, deletes its directory, then the namespace. */
  cleanup(): Promise<void>;
}

/** For a test file's beforeAll: a fresh namespace `netns` and a started daemon managing it. */
export async function daemonInNamespace(netns: string, o: Omit<DaemonOptions, 'netns'> = {}): Promise<DaemonInNamespace> {
  assertSandbox();
  ensureBuilt();
  await Netns.remove(netns, { ifExists: true });
  const host = await Netns.create({ name: netns });
  const daemon = new TestDaemon({ netns, ...o });
  const cleanup = async (): Promise<void> => {
    await daemon.cleanup();
    await host.delete();
  };
  try {
    await daemon.start();
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
  return { host, daemon, cleanup };
}
