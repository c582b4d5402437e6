// Running a process in a sandbox's network: `nsenter --net=<path>` from
// util-linux (Node cannot setns a child), with the sandbox's own hosts and
// resolv.conf bind-mounted over /etc's in a private mount namespace, as
// `ip netns exec` does, so the process resolves the other sandboxes' names.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../core/errors.js';
import { netnsEtcDir } from '../../dns/hosts.js';
import type { SandboxInfo } from '../inspect.js';

/** The command line that runs `argv` in the sandbox; host mode runs it as it is. */
export function commandInSandbox(s: Pick<SandboxInfo, 'mode' | 'netnsPath' | 'netnsName'>, argv: readonly string[], etcDir: string): string[] {
  if (s.mode === 'host' || s.netnsPath === '') return [...argv];
  const enter = ['nsenter', `--net=${s.netnsPath}`, '--'];
  const files = s.netnsName === undefined ? undefined : netnsEtcDir(s.netnsName, etcDir);
  if (files === undefined || !existsSync(join(files, 'resolv.conf'))) return [...enter, ...argv];
  const script =
    'for f in hosts resolv.conf; do [ -e "$0/$f" ] && { mount --bind "$0/$f" "/etc/$f" 2>/dev/null || ' +
    'echo "netplumb: could not mount $0/$f over /etc/$f; the command sees the host\'s" >&2; }; done; exec "$@"';
  return [...enter, 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, files, ...argv];
}

export interface ExecOptions {
  /** Written to the process's stdin, which is then closed (default: nothing). */
  stdin?: string;
  /** Added to the environment (PATH and the rest come from the engine's process). */
  env?: Record<string, string>;
  /** Killed with SIGKILL after this long (default 60 000 ms). */
  timeoutMs?: number;
}

export interface ExecResult {
  /** The exit code, or null when a signal ended it. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** It ran past timeoutMs and was killed. */
  timedOut: boolean;
}

/** At most this much of each stream is kept (the rest is dropped): exec is for short commands. */
const MAX_OUTPUT = 16 << 20;

/** Runs argv to its end in the sandbox's network and returns its status and output. */
export async function execInSandbox(s: Pick<SandboxInfo, 'mode' | 'netnsPath' | 'netnsName'>, argv: readonly string[], etcDir: string, o: ExecOptions = {}): Promise<ExecResult> {
  if (argv.length === 0 || argv.some((a) => typeof a !== 'string' || a.includes('\0')))
    throw new ValidationError('argv', 'argv must be a non-empty list of strings without NUL');
  const [file, ...args] = commandInSandbox(s, argv, etcDir) as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...(o.env ?? {}) } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const keep = (into: Buffer[]) => {
      let kept = 0;
      return (d: Buffer) => {
        if (kept >= MAX_OUTPUT) return;
        into.push(d);
        kept += d.length;
      };
    };
    child.stdout.on('data', keep(out));
    child.stderr.on('data', keep(err));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs ?? 60_000);
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.stdin ?? '');
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
  });
}
