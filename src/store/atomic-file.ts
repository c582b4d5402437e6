// Replacing a file so that readers and crashes see the old or the new
// content, never part of one: temp file in the same directory, fsync,
// rename over the target, fsync of the directory. Done on the calling thread
// (see sync-fs.ts): the files are small, and the thread pool costs more.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { uniqueSuffix } from './unique.js';

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `content` to `path` atomically; the directory must exist. */
export async function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${path}.${uniqueSuffix()}.tmp`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
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
  fsyncDir(dirname(path));
}
