// Where labs live: one directory per lab under a base directory, holding its
// namespace files (netns/), the engine's state (state/), hosts and
// resolv.conf files (etc/) and owner.json, which says which process owns it
// and which reaper watches it. A lab whose owner and reaper are both gone is
// an orphan: the next Lab.open in any process takes it down.
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { reapOrphan } from './reaper.js';

export interface ProcessId {
  pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22): a reused pid has another. */
  start: number;
}

export interface OwnerRecord {
  owner: ProcessId;
  reaper?: ProcessId;
}

export function processId(pid: number): ProcessId | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces and parentheses: the state
    // first, starttime the 20th. A zombie has finished: it counts as gone.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return { pid, start: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

function alive(p: ProcessId | undefined): boolean {
  if (p === undefined) return false;
  const now = processId(p.pid);
  return now !== undefined && now.start === p.start;
}

function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The base directory: `root` if given, else NETPLUMB_LAB_DIR, else
 * /run/netplumb/labs (a sandbox's private /run, or the machine's tmpfs as
 * root), else a directory of this user's under the temp dir.
 */
export function labsBase(root?: string): string {
  if (root !== undefined) {
    if (!writable(root)) throw new ValidationError('root', `the lab directory '${root}' cannot be created or written`);
    return root;
  }
  const env = process.env.NETPLUMB_LAB_DIR;
  if (env) return labsBase(env);
  const run = '/run/netplumb/labs';
  if (writable(run)) return run;
  return labsBase(join(tmpdir(), `netplumb-labs-${process.getuid?.() ?? 'user'}`));
}

/** A new lab directory under `base`, named `<prefix>-XXXXXX`, claimed by this process. */
export function claimLabRoot(base: string, prefix: string): string {
  const root = mkdtempSync(join(base, `${prefix}-`));
  writeOwner(root, { owner: processId(process.pid) as ProcessId });
  return root;
}

export function writeOwner(root: string, record: OwnerRecord): void {
  writeFileSync(join(root, 'owner.json'), `${JSON.stringify(record)}\n`);
}

function readOwner(root: string): OwnerRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(root, 'owner.json'), 'utf8')) as OwnerRecord;
  } catch {
    return undefined;
  }
}

/** Labs under `base` whose owner and reaper are both gone, taken down; returns their directories. */
export async function sweepOrphans(base: string): Promise<string[]> {
  const swept: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    return swept;
  }
  for (const name of entries) {
    const root = join(base, name);
    const rec = readOwner(root);
    // Only directories with an owner.json are labs: anything else in `base` is left alone.
    if (rec === undefined || alive(rec.owner) || alive(rec.reaper)) continue;
    if (await reapOrphan(root)) swept.push(root);
  }
  return swept;
}
