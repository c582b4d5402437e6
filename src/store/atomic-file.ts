// Replacing a file so that readers and crashes see the old or the new
// content, never part of one: temp file in the same directory, rename over
// the target. How much is flushed is the caller's choice (`Sync`): the rename
// alone is atomic for every reader and survives a crash of the process (the
// page cache is the kernel's, not the process's); only a crash of the machine
// needs fsync, and only for what outlives the machine. Done on the calling
// thread (see sync-fs.ts): the files are small, and the thread pool costs more.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { uniqueSuffix } from './unique.js';

/**
 * What a write must survive besides a crash of the process:
 * - `full`: a power cut, entry included (file fsync, then directory fsync after the rename);
 * - `file`: a power cut leaves the old or the new content, never an empty or
 *   torn file, but a new entry may be lost (file fsync only);
 * - `none`: nothing more (files that die with the machine: tmpfs, or state
 *   whose objects die with the machine anyway).
 */
export type Sync = 'full' | 'file' | 'none';

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `content` to `path` atomically; the directory must exist. */
export async function writeFileAtomic(path: string, content: string | Uint8Array, opts: { mode?: number; sync?: Sync } = {}): Promise<void> {
  writeFileAtomicSync(path, content, opts);
}

/** writeFileAtomic without the promise, for callers that batch several writes on this thread. */
export function writeFileAtomicSync(path: string, content: string | Uint8Array, opts: { mode?: number; sync?: Sync } = {}): void {
  const sync = opts.sync ?? 'full';
  const tmp = `${path}.${uniqueSuffix()}.tmp`;
  const fd = openSync(tmp, 'wx', opts.mode ?? 0o644);
  try {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    if (sync !== 'none') fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never made it
    }
    throw e;
  }
  // The rename is durable only once the directory entry is.
  if (sync === 'full') fsyncDir(dirname(path));
}

/**
 * Creates `path` with `content` where nothing is yet (O_EXCL), written in
 * place: not atomic for readers, so only for files whose readers are kept
 * out otherwise (a lock). False when the file exists (it is left as it was).
 * `sync` as for writeFileAtomicSync; there is no rename to make durable, so
 * `full` also flushes the directory.
 */
export function writeNewFile(path: string, content: string | Uint8Array, sync: Sync = 'full', mode = 0o644): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    if (sync !== 'none') fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    // Half a document is no document: it goes, so the caller's failure leaves nothing.
    try {
      unlinkSync(path);
    } catch {
      // gone already
    }
    throw e;
  }
  closeSync(fd);
  if (sync === 'full') fsyncDir(dirname(path));
  return true;
}
