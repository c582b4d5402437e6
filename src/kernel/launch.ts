// Processes started inside a network namespace, as `ip netns exec` starts
// them: nsenter (util-linux) enters the namespace — Node cannot setns a child
// — and, when the namespace has its own hosts and resolv.conf, a private
// mount namespace gets them bind-mounted over /etc's, so the process resolves
// names as the namespace's owner arranged. Every step execs the next, so the
// ChildProcess's pid is the command's own: signals reach it, and its exit
// status is the command's.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, existsSync, fstatSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { constants as os } from 'node:os';
import { MissingToolError, ValidationError } from '../core/errors.js';

/** Where a process runs. */
export interface LaunchTarget {
  /** The namespace file to enter (`/run/netns/NAME`, `/proc/PID/ns/net`); undefined: this process's own. */
  netnsPath?: string;
  /** A directory holding `hosts` and/or `resolv.conf`, mounted over /etc's for the process. */
  etcDir?: string;
  /** The process gets a UTS namespace of its own with this hostname (as a container has), so `hostname` prints it. */
  hostname?: string;
}

export interface LaunchOptions extends Omit<SpawnOptions, 'argv0' | 'shell'> {
  /**
   * Kill the process (SIGKILL) when this Node process dies, however it dies
   * (PR_SET_PDEATHSIG through setpriv from util-linux). Default false.
   */
  dieWithParent?: boolean;
}

const UTIL_LINUX = 'util-linux';
const found = new Map<string, string | undefined>();

/** The path of a program on PATH (cached per process), or undefined. */
export function findTool(name: string, path = process.env.PATH ?? ''): string | undefined {
  const key = `${name}\0${path}`;
  if (found.has(key)) return found.get(key);
  let hit: string | undefined;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      hit = join(dir, name);
      break;
    } catch {
      // not here
    }
  }
  found.set(key, hit);
  return hit;
}

/** Like findTool, but a MissingToolError when it is not there. */
export function requireTool(name: string, packageName: string, purpose: string): string {
  const hit = findTool(name);
  if (hit === undefined) throw new MissingToolError(name, packageName, purpose);
  return hit;
}

// Run by sh with $1 = the hostname ('' for none) and $2 = the directory of
// files ('' for none): the hostname is written into the new UTS namespace
// (no hostname(1) needed), each file present is mounted over /etc's, then
// the command replaces the shell ($0 names us in its errors).
const SETUP =
  'h=$1; d=$2; shift 2; [ -z "$h" ] || printf %s "$h" > /proc/sys/kernel/hostname || echo "netplumb: could not set the hostname $h" >&2; ' +
  '[ -z "$d" ] || for f in hosts resolv.conf; do [ -e "$d/$f" ] && { mount --bind "$d/$f" "/etc/$f" 2>/dev/null || ' +
  'echo "netplumb: could not mount $d/$f over /etc/$f; the command sees the host\'s" >&2; }; done; exec "$@"';

/** The command line that runs `argv` at `target` (exported for tests and for callers with their own spawner). */
export function launchArgv(target: LaunchTarget, argv: readonly string[], opts: { dieWithParent?: boolean } = {}): string[] {
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string'))
    throw new ValidationError('argv', 'the command must be a non-empty array of strings, e.g. ["sh", "-c", "ip addr"]');
  const out: string[] = [];
  if (opts.dieWithParent) out.push(requireTool('setpriv', UTIL_LINUX, 'to tie a process to its parent'), '--pdeathsig', 'KILL', '--');
  if (target.netnsPath !== undefined && target.netnsPath !== '')
    out.push(requireTool('nsenter', UTIL_LINUX, 'to start a process inside a network namespace'), `--net=${target.netnsPath}`, '--');
  const etc = target.etcDir;
  const files = etc !== undefined && (existsSync(join(etc, 'hosts')) || existsSync(join(etc, 'resolv.conf')));
  const host = target.hostname ?? '';
  if (files || host !== '')
    out.push(requireTool('unshare', UTIL_LINUX, "to give a process the namespace's hosts, resolv.conf and hostname"),
      ...(host !== '' ? ['--uts'] : []), ...(files ? ['--mount', '--propagation', 'private'] : []), '--', 'sh', '-c', SETUP, 'netplumb', host, files ? (etc as string) : '');
  return [...out, ...argv];
}

/** Starts `argv` at `target`; the ChildProcess is Node's own (stdio, cwd, env as Node's spawn takes them). */
export function spawnIn(target: LaunchTarget, argv: readonly string[], opts: LaunchOptions = {}): ChildProcess {
  const { dieWithParent, ...spawnOpts } = opts;
  const [file, ...args] = launchArgv(target, argv, { dieWithParent: dieWithParent === true });
  return spawn(file as string, args, spawnOpts);
}

export interface ExecOptions extends Omit<LaunchOptions, 'stdio'> {
  /** Written to the process's stdin, which is then closed (default: stdin is empty). */
  input?: string | Uint8Array;
  /** Kill the process (SIGKILL) after this long; it then reports signal SIGKILL. */
  timeoutMs?: number;
}

export interface ExecResult {
  /** Its exit status; 128+N when signal N ended it (as a shell reports it). */
  code: number;
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `argv` at `target` to completion and collects its output (never rejects for a non-zero status). */
export function execIn(target: LaunchTarget, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const { input, timeoutMs, ...launch } = opts;
  const child = spawnIn(target, argv, { ...launch, stdio: ['pipe', 'pipe', 'pipe'] });
  return collect(child, input, timeoutMs);
}

/** Waits for a child started with piped stdio and gathers what it wrote. */
export function collect(child: ChildProcess, input?: string | Uint8Array, timeoutMs?: number): Promise<ExecResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => err.push(d));
  child.stdin?.on('error', () => undefined); // a command that never reads its input closes the pipe early
  child.stdin?.end(input);
  return new Promise((resolve, reject) => {
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128 + (signal ? (os.signals[signal] ?? 0) : 0),
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Whether the namespace file (or open descriptor) is the one this process runs in. */
export function isOwnNamespace(target: { path: string } | { fd: number }): boolean {
  const own = statSync('/proc/self/ns/net');
  const other = 'fd' in target ? fstatSync(target.fd) : statSync(target.path);
  return own.ino === other.ino && own.dev === other.dev;
}
