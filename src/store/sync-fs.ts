// File operations shaped like node:fs/promises but done on the calling
// thread. State documents and lock files are small and live on tmpfs (/run):
// there the work itself takes microseconds, while a trip through libuv's
// thread pool costs 10-40 times that, which an attach pays a dozen times.
import {
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  type MakeDirectoryOptions,
  type RmOptions,
  type WriteFileOptions,
} from 'node:fs';

function now<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e);
  }
}

export const syncFs = {
  readFile: (path: string, encoding: BufferEncoding) => now(() => readFileSync(path, encoding)),
  writeFile: (path: string, data: string, opts: WriteFileOptions) => now(() => writeFileSync(path, data, opts)),
  readdir: (path: string) => now(() => readdirSync(path)),
  mkdir: (path: string, opts: MakeDirectoryOptions) => now(() => mkdirSync(path, opts)),
  link: (from: string, to: string) => now(() => linkSync(from, to)),
  rename: (from: string, to: string) => now(() => renameSync(from, to)),
  rmdir: (path: string) => now(() => rmdirSync(path)),
  unlink: (path: string) => now(() => unlinkSync(path)),
  rm: (path: string, opts: RmOptions) => now(() => rmSync(path, opts)),
};
