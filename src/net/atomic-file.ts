// Replacing a file so that readers and crashes see the old or the new
// content, never part of one: temp file in the same directory, fsync,
// rename over the target, fsync of the directory.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes `content` to `path` atomically; the directory must exist. */
export async function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const h = await fs.open(tmp, 'wx', mode);
  try {
    await h.writeFile(content);
    await h.sync();
    await h.close();
    await fs.rename(tmp, path);
  } catch (e) {
    await h.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
  // The rename is durable only once the directory entry is.
  await fsyncDir(dirname(path));
}
