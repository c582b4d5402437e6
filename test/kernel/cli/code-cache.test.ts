// The CLI's code cache (src/cli/code-cache.ts) as the built bin uses it: made
// at the first run, taken by V8 at the next, refused when damaged, never
// applied to a rebuilt file, and not used from a directory others may write.
// What V8 did is read from the bin's own report (NETPLUMB_CODE_CACHE_REPORT=1);
// that the commands' output stays what it is without a cache is the proof
// that the cached code is the code on disk.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCacheDir } from '../../../src/core/code-cache.js';
import { CLI, ROOT, ensureBuilt } from '../daemon/support/daemon.js';
import { assertSandbox } from '../support/witness.js';

interface Stats {
  used: number;
  rejected: number;
  written: number;
}

let scratch: string;

function help(bin: string, cacheRoot: string): { stdout: string; stats?: Stats } {
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env: { ...process.env, NETPLUMB_CODE_CACHE: cacheRoot, NETPLUMB_CODE_CACHE_REPORT: '1' } });
  expect(r.status, r.stderr).toBe(0);
  const report = /netplumb code cache: (\{.*\})/.exec(r.stderr);
  return { stdout: r.stdout, stats: report?.[1] ? (JSON.parse(report[1]) as Stats) : undefined };
}

function uncached(bin: string): string {
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env: { ...process.env, NETPLUMB_CODE_CACHE: '0' } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The directory the bin at `bin` keeps its cache in under NETPLUMB_CODE_CACHE=`cacheRoot`. */
const cacheDirOf = (cacheRoot: string, bin = CLI): string => codeCacheDir({ NETPLUMB_CODE_CACHE: cacheRoot }, dirname(bin))!;
const cacheFiles = (cacheRoot: string, bin = CLI): string[] => readdirSync(cacheDirOf(cacheRoot, bin)).filter((f) => f.endsWith('.v8'));

beforeAll(() => {
  assertSandbox();
  ensureBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'np-code-cache-'));
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the CLI code cache', () => {
  it('is written by the first run, only for its user, and taken by V8 at the next', () => {
    const root = join(scratch, 'fresh');
    const first = help(CLI, root);
    expect(first.stats).toMatchObject({ used: 0, rejected: 0 });
    expect(first.stats!.written).toBeGreaterThan(0);
    expect(cacheFiles(root)).toHaveLength(first.stats!.written);
    expect(statSync(cacheDirOf(root)).mode & 0o777).toBe(0o700);
    for (const f of cacheFiles(root)) expect(statSync(join(cacheDirOf(root), f)).mode & 0o777).toBe(0o600);

    const second = help(CLI, root);
    expect(second.stats).toEqual({ used: first.stats!.written, rejected: 0, written: 0 });
    expect(second.stdout).toBe(first.stdout);
    expect(second.stdout).toBe(uncached(CLI));
  });

  it('lets V8 refuse a damaged cache, runs from source and writes it anew', () => {
    const root = join(scratch, 'damaged');
    const { stats } = help(CLI, root);
    const files = cacheFiles(root);
    for (const f of files) {
      const path = join(cacheDirOf(root), f);
      writeFileSync(path, Buffer.alloc(statSync(path).size, 0x5a));
    }
    const again = help(CLI, root);
    expect(again.stats).toEqual({ used: 0, rejected: stats!.written, written: stats!.written });
    expect(again.stdout).toBe(uncached(CLI));
    for (const f of files) expect(readFileSync(join(cacheDirOf(root), f)).every((b) => b === 0x5a)).toBe(false);
  });

  it('never runs a cache made for an earlier build of the same file, and deletes it', () => {
    // A copy of the package's bin, rebuilt in place with a change of the same
    // length: V8 alone would take the old cache (it checks only the length).
    const bin = join(scratch, 'package', 'dist', 'cli', 'main.cjs');
    cpSync(dirname(CLI), dirname(bin), { recursive: true, filter: (src) => !src.includes('.code-cache') });
    cpSync(join(ROOT, 'package.json'), join(scratch, 'package', 'package.json'));
    const root = join(scratch, 'rebuilt');
    const before = help(bin, root).stdout;
    expect(help(bin, root).stats).toMatchObject({ rejected: 0, written: 0 });

    const bundle = join(dirname(bin), 'netplumb.cjs');
    const source = readFileSync(bundle, 'utf8');
    const changed = source.replace('http.server 80', 'http.server 81');
    expect(changed).not.toBe(source);
    writeFileSync(bundle, changed);
    const old = cacheFiles(root, bin).filter((f) => f.startsWith('netplumb.cjs.'));
    expect(old).toHaveLength(1);
    const after = help(bin, root);
    expect(after.stdout).toBe(before.replace('http.server 80', 'http.server 81'));
    expect(after.stats!.written).toBe(1);
    const now = cacheFiles(root, bin);
    expect(now.filter((f) => f.startsWith('netplumb.cjs.'))).toHaveLength(1);
    expect(now).not.toContain(old[0]);
  });

  it('is neither read nor written in a directory that others may write or that is a symbolic link', () => {
    const open = cacheDirOf(join(scratch, 'open'));
    chmodSync(open, 0o777);
    expect(help(CLI, join(scratch, 'open')).stats).toBeUndefined();
    expect(readdirSync(open)).toEqual([]);

    const target = join(scratch, 'target');
    mkdirSync(target, { mode: 0o700 });
    const linked = cacheDirOf(join(scratch, 'linked'));
    rmSync(linked, { recursive: true });
    symlinkSync(target, linked);
    expect(help(CLI, join(scratch, 'linked')).stats).toBeUndefined();
    expect(readdirSync(target)).toEqual([]);
  });
});
