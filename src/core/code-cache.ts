// A V8 code cache for netplumb's CommonJS bundle (the CLI and the CNI
// plugin's in-process path, dist/cli/): what Node 22's
// module.enableCompileCache() does, for the Node 20 netplumb runs on.
//
// Most of what a short command costs above Node's own start-up is V8 parsing
// and compiling the bundle's functions (measured with bench/cli-startup.mjs:
// `ps` +30 ms without the cache, +13 with it). The first run of a file saves
// its compiled code at exit, taken after the command ran so that it holds
// every function the command compiled, not only the top level; later runs
// hand it to V8, which checks that the V8 version and flags match and rejects
// it otherwise (then it is written anew).
//
// V8 checks a cache against its source by length only, so each cache file is
// named after its source's inode, size and modification time: a rebuilt
// bundle never meets an old file's code.
//
// A cache is code: it is read only from a directory the running user owns
// and nobody else may write, and never followed through a symbolic link.
import Module, { createRequire } from 'node:module';
import { Script } from 'node:vm';
import { lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What a bin of the bundle does: turns the cache on for the files beside it
 * (before the first of them is compiled), then loads `entry` from there.
 */
export function loadWithCodeCache(binUrl: string, entry: string): void {
  const here = dirname(fileURLToPath(binUrl));
  const cacheDir = codeCacheDir(process.env, here);
  if (cacheDir) enableCodeCache(cacheDir, here);
  createRequire(binUrl)(entry);
}

/** What the cache did in this process (for tests and NETPLUMB_CODE_CACHE_REPORT). */
export interface CodeCacheStats {
  /** Files whose cache V8 took. */
  used: number;
  /** Files whose cache V8 refused (another Node, other flags, damaged). */
  rejected: number;
  /** Cache files written at exit. */
  written: number;
}

interface CompilingModule {
  exports: unknown;
  require(id: string): unknown;
  _compile(content: string, filename: string): unknown;
}
interface ModuleStatics {
  prototype: CompilingModule;
  wrap(source: string): string;
  _resolveFilename(request: string, parent: CompilingModule, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: CompilingModule): string[] | null;
  _extensions: unknown;
  _cache: unknown;
}

/**
 * Where the cache lives: $NETPLUMB_CODE_CACHE if set ("0" turns it off), else
 * beside the bundle when the running user owns it (a root install run by root,
 * a checkout), else under the user's cache directory. One directory per Node
 * version, so that two Nodes do not keep replacing each other's files, and
 * (outside the bundle) per bundle directory, so that two installs do not
 * prune each other's (see pruneStale).
 */
export function codeCacheDir(env: NodeJS.ProcessEnv, bundleDir: string): string | undefined {
  const version = `${process.version}-${process.arch}`;
  const asked = env.NETPLUMB_CODE_CACHE;
  if (asked === '0') return undefined;
  if (asked) return ownedDir(join(asked, version, pathTag(bundleDir)));
  const beside = ownedDir(join(bundleDir, '.code-cache', version));
  if (beside) return beside;
  const home = env.XDG_CACHE_HOME || (env.HOME && join(env.HOME, '.cache'));
  return home ? ownedDir(join(home, 'netplumb', 'code-cache', version, pathTag(bundleDir))) : undefined;
}

/** A short name for a directory (FNV-1a of its path: crypto would load OpenSSL, which costs more than the cache saves). */
function pathTag(dir: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < dir.length; i++) h = Math.imul(h ^ dir.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/**
 * The directory, made if missing, when only the running user may write it.
 * It is made only under a directory of that user's or a sticky one (/tmp):
 * root running another user's checkout must not leave directories there that
 * the user cannot remove (their next build would fail on them).
 */
function ownedDir(dir: string): string | undefined {
  const uid = process.geteuid?.() ?? -1;
  const usable = (st: { uid: number; mode: number; isDirectory(): boolean }): string | undefined =>
    st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0 ? dir : undefined;
  try {
    // Every run but the first finds it: one lstat.
    let existing = dir;
    for (;;) {
      try {
        const st = lstatSync(existing);
        if (existing === dir) return usable(st);
        if (st.uid !== uid && (st.mode & 0o1000) === 0) return undefined;
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(existing) === existing) return undefined;
        existing = dirname(existing);
      }
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return usable(lstatSync(dir));
  } catch {
    return undefined;
  }
}

/**
 * Compiles every CommonJS file directly in `bundleDir` with the code cache in
 * `cacheDir`, and writes the missing or refused caches when the process exits.
 * A cache that cannot be read or written costs nothing but the time it would
 * have saved: the command itself never fails for it.
 */
export function enableCodeCache(cacheDir: string, bundleDir: string): CodeCacheStats {
  const stats: CodeCacheStats = { used: 0, rejected: 0, written: 0 };
  const M = Module as unknown as ModuleStatics;
  const compile = M.prototype._compile;
  const toWrite: Array<{ script: Script; file: string }> = [];

  M.prototype._compile = function (this: CompilingModule, content: string, filename: string): unknown {
    if (dirname(filename) !== bundleDir) return compile.call(this, content, filename);
    const file = cacheFile(cacheDir, filename);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(file);
    } catch {
      // Not made yet: compiled from source, saved at exit.
    }
    // A leading #! stays a comment inside the module wrapper (same length, so positions hold).
    const source = content.startsWith('#!') ? `//${content.slice(2)}` : content;
    const script = new Script(M.wrap(source), { filename, cachedData });
    if (cachedData && !script.cachedDataRejected) stats.used++;
    else {
      if (cachedData) stats.rejected++;
      toWrite.push({ script, file });
    }
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, requireFor(M, this), this, filename, dirname(filename));
  };

  process.once('exit', () => {
    for (const { script, file } of toWrite) {
      const partial = `${file}.${process.pid}.tmp`;
      try {
        writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
        renameSync(partial, file);
        stats.written++;
      } catch {
        // Full disk or a read-only directory: the next run compiles from source again.
      }
    }
    if (stats.written > 0) pruneStale(cacheDir, bundleDir);
    if (process.env.NETPLUMB_CODE_CACHE_REPORT === '1') process.stderr.write(`netplumb code cache: ${JSON.stringify(stats)}\n`);
  });
  return stats;
}

/** The cache file of one source file, named after what changes when the file is rebuilt. */
function cacheFile(cacheDir: string, filename: string): string {
  const st = statSync(filename, { bigint: true });
  return join(cacheDir, `${basename(filename)}.${st.ino}-${st.size}-${st.mtimeNs}.v8`);
}

/**
 * Deletes the caches of files that are gone or rebuilt since, and writes cut
 * short more than a minute ago: run after a rebuild's first command (the only
 * time anything is written), so a directory holds one build's caches.
 */
function pruneStale(cacheDir: string, bundleDir: string): void {
  try {
    for (const f of readdirSync(cacheDir)) {
      const path = join(cacheDir, f);
      const cached = /^(.+)\.\d+-\d+-\d+\.v8$/.exec(f);
      let stale: boolean;
      if (cached) {
        try {
          stale = cacheFile(cacheDir, join(bundleDir, cached[1] as string)) !== path;
        } catch {
          stale = true;
        }
      } else stale = f.endsWith('.tmp') && Date.now() - lstatSync(path).mtimeMs > 60_000;
      if (stale) rmSync(path, { force: true });
    }
  } catch {
    // Another process pruning at the same time: what it leaves, the next rebuild's first run takes.
  }
}

/** The `require` a module's wrapper is given, as Node makes it. */
function requireFor(M: ModuleStatics, mod: CompilingModule): NodeJS.Require {
  const req = ((id: string) => mod.require(id)) as NodeJS.Require;
  const resolve = ((request: string, options?: unknown) => M._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => M._resolveLookupPaths(request, mod);
  req.resolve = resolve;
  req.main = process.mainModule;
  req.extensions = M._extensions as NodeJS.RequireExtensions;
  req.cache = M._cache as NodeJS.Dict<NodeModule>;
  return req;
}
