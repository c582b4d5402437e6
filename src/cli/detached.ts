// Processes `run -d` leaves running: what was started where, kept by the CLI
// beside the state (<runtime>/cli/), so that `logs`, `stop`, `start`, `ps`
// and `rm` find them from any later command. A process is known by its pid
// and its start time (field 22 of /proc/PID/stat), so a reused pid is never
// taken for it.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { EngineApi } from '../model/api.js';
import { stateDirs } from '../store/dirs.js';
import { stateDirOf } from './engine.js';

export interface DetachedRecord {
  sandbox: string;
  argv: string[];
  pid: number;
  /** /proc/PID/stat's start time, in clock ticks since boot. */
  startTime: string;
  startedAt: string;
}

export function cliDir(cmd: Command): string {
  const stateDir = stateDirOf(cmd);
  const env = stateDir === undefined ? process.env : { ...process.env, NETPLUMB_STATE_DIR: stateDir };
  return join(stateDirs({}, env).runtime, 'cli');
}

const recordFile = (dir: string, id: string): string => join(dir, 'detached', `${id}.json`);
export const logFile = (dir: string, id: string): string => join(dir, 'logs', `${id}.log`);

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function readDetached(dir: string, id: string): DetachedRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordFile(dir, id), 'utf8')) as DetachedRecord;
  } catch {
    return undefined;
  }
}

/** Whether the recorded process still runs (the same process: its start time matches). */
export function running(r: DetachedRecord | undefined): boolean {
  return r !== undefined && startTimeOf(r.pid) === r.startTime;
}

/** Starts argv in the sandbox with its output appended to the sandbox's log, not tied to this process. */
export async function startDetached(engine: EngineApi, dir: string, id: string, argv: string[]): Promise<DetachedRecord> {
  mkdirSync(join(dir, 'detached'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const out = openSync(logFile(dir, id), 'a');
  try {
    const child = await engine.sandboxes.spawn(id, argv, { stdio: ['ignore', out, out], detached: true });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid as number));
    });
    child.unref();
    const r: DetachedRecord = { sandbox: id, argv, pid, startTime: startTimeOf(pid) ?? '', startedAt: new Date().toISOString() };
    writeFileSync(recordFile(dir, id), `${JSON.stringify(r)}\n`);
    return r;
  } finally {
    closeSync(out);
  }
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it is gone. */
export async function stopDetached(r: DetachedRecord, graceMs: number): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      // detached: the process leads its own group, so what it started goes too.
      process.kill(-r.pid, sig);
    } catch {
      // gone already
    }
  };
  if (!running(r)) return;
  signal('SIGTERM');
  const end = Date.now() + graceMs;
  while (running(r) && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
  if (running(r)) signal('SIGKILL');
  while (running(r)) await new Promise((res) => setTimeout(res, 20));
}

/** Forgets a sandbox's process and log (its sandbox is removed). */
export function forgetDetached(dir: string, id: string): void {
  rmSync(recordFile(dir, id), { force: true });
  rmSync(logFile(dir, id), { force: true });
}

/** Whether `run -d` left anything (a record or a log) for any sandbox: else `rm` need not look a sandbox up first. */
export function anyDetached(dir: string): boolean {
  const entries = (sub: string): number => {
    try {
      return readdirSync(join(dir, sub)).length;
    } catch {
      return 0;
    }
  };
  return entries('detached') + entries('logs') > 0;
}

export function hasLog(dir: string, id: string): boolean {
  return existsSync(logFile(dir, id));
}
