// containerd for a test: started by containerd.sh in a mount namespace of
// its own (see there), images built from busybox and imported, `ctr` run in
// the same mount namespace (it execs CNI plugins from /opt/cni/bin itself),
// stopped by PID with its temp directory removed.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HERE = import.meta.dirname;

export const BUSYBOX = 'localhost/netplumb-busybox:1';
export const PAUSE = 'localhost/netplumb-pause:1';

export class Containerd {
  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
    private log: string,
  ) {}

  get socket(): string {
    return join(this.dir, 'containerd.sock');
  }

  /** Starts containerd with BIN_DIR as /opt/cni/bin and CONF_DIR as /etc/cni/net.d; `env` is what it (and its CNI plugins) get. */
  static async start(dir: string, binDir: string, confDir: string, env: Record<string, string>): Promise<Containerd> {
    await fs.mkdir(dir, { recursive: true });
    const child = spawn('unshare', ['--mount', '--propagation', 'unchanged', '--', join(HERE, 'containerd.sh'), dir, binDir, confDir], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const c = new Containerd(dir, child, '');
    child.stdout?.on('data', (d: Buffer) => (c.log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (c.log += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!existsSync(c.socket)) {
      if (child.exitCode !== null) throw new Error(`containerd exited ${child.exitCode}:\n${c.log}`);
      if (Date.now() > deadline) throw new Error(`containerd did not listen within 20 s:\n${c.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return c;
  }

  /** ctr in containerd's mount namespace, with `env` (its CNI plugins see it). */
  async ctr(args: string[], env: Record<string, string> = {}): Promise<string> {
    const { stdout } = await run('nsenter', [`--mount=/proc/${this.child.pid}/ns/mnt`, '--', 'ctr', '--address', this.socket, ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 16 << 20,
    });
    return stdout;
  }

  /** Builds the busybox image (and the pause image for CRI pods) and imports them. */
  async importImages(): Promise<void> {
    const busybox = join(this.dir, 'busybox.tar');
    const pause = join(this.dir, 'pause.tar');
    await run(join(HERE, 'busybox-image.sh'), [busybox, BUSYBOX, '/bin/sh']);
    await run(join(HERE, 'busybox-image.sh'), [pause, PAUSE, '/bin/sleep', '2147483647']);
    await this.ctr(['images', 'import', '--snapshotter', 'overlayfs', busybox]);
    await this.ctr(['-n', 'k8s.io', 'images', 'import', '--snapshotter', 'overlayfs', pause]);
  }

  /** runc, for `ctr run --runc-binary`: the wrapper containerd.sh wrote. */
  get runc(): string {
    return join(this.dir, 'runc-userns');
  }

  get output(): string {
    return this.log;
  }

  async stop(): Promise<void> {
    // A container's shim outlives containerd by design (the container keeps
    // running); one is left when a test fails half way (`ctr run --rm` cut short).
    const shims = await this.shims();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    await endProcesses([...(await childrenOf(shims)), ...shims]);
    // Overlay snapshots are mounts of containerd's namespace: they went with it.
    await fs.rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** The PIDs of the runc shims this containerd started (their `-address` is its socket). */
  private async shims(): Promise<number[]> {
    const pids: number[] = [];
    for (const entry of await fs.readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const argv = (await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
      const at = argv.indexOf('-address');
      if (/containerd-shim/.test(argv[0] ?? '') && at > 0 && argv[at + 1] === this.socket) pids.push(Number(entry));
    }
    return pids;
  }
}

/** The PIDs whose parent is one of `parents` (a shim's container processes). */
async function childrenOf(parents: readonly number[]): Promise<number[]> {
  if (parents.length === 0) return [];
  const out: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // The parent PID is the second field after the command's closing parenthesis.
    const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parents.includes(ppid)) out.push(Number(entry));
  }
  return out;
}

/** SIGKILL to each PID, then waits (up to 5 s) until they are gone. */
async function endProcesses(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  const deadline = Date.now() + 5000;
  while (pids.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
