// Where the CLI keeps its code cache: asked for, beside the bundle, or under
// the user's cache directory when the bundle's directory cannot hold it.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeCacheDir } from '../../../src/core/code-cache.js';

const version = `${process.version}-${process.arch}`;
let scratch: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'np-cache-dir-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe('codeCacheDir', () => {
  it('is off with NETPLUMB_CODE_CACHE=0', () => {
    expect(codeCacheDir({ NETPLUMB_CODE_CACHE: '0' }, scratch)).toBeUndefined();
    expect(statSync(scratch).isDirectory()).toBe(true);
  });

  it('takes the asked directory, one per Node version and bundle, made private', () => {
    const dir = codeCacheDir({ NETPLUMB_CODE_CACHE: join(scratch, 'asked') }, scratch);
    expect(dirname(dir!)).toBe(join(scratch, 'asked', version));
    expect(statSync(dir!).mode & 0o777).toBe(0o700);
    const other = codeCacheDir({ NETPLUMB_CODE_CACHE: join(scratch, 'asked') }, join(scratch, 'other'));
    expect(dirname(other!)).toBe(dirname(dir!));
    expect(other).not.toBe(dir);
  });

  it('lives beside the bundle when the user can make it there', () => {
    expect(codeCacheDir({}, scratch)).toBe(join(scratch, '.code-cache', version));
  });

  it("falls back to the user's cache directory, then to none", () => {
    writeFileSync(join(scratch, '.code-cache'), '');
    const xdg = join(scratch, 'xdg');
    expect(dirname(codeCacheDir({ XDG_CACHE_HOME: xdg }, scratch)!)).toBe(join(xdg, 'netplumb', 'code-cache', version));
    mkdirSync(join(scratch, 'home'));
    expect(dirname(codeCacheDir({ HOME: join(scratch, 'home') }, scratch)!)).toBe(join(scratch, 'home', '.cache', 'netplumb', 'code-cache', version));
    expect(codeCacheDir({}, scratch)).toBeUndefined();
  });

  it("makes nothing in another user's directory (root running someone's checkout), but may in a sticky one", (ctx) => {
    const theirs = join(scratch, 'theirs');
    mkdirSync(theirs);
    try {
      chownSync(theirs, 65534, 65534);
    } catch (e) {
      // Inside scripts/sandbox only root is mapped: no other owner can be made here.
      if ((e as NodeJS.ErrnoException).code === 'EINVAL' || (e as NodeJS.ErrnoException).code === 'EPERM') return ctx.skip();
      throw e;
    }
    expect(codeCacheDir({ NETPLUMB_CODE_CACHE: join(theirs, 'cache') }, scratch)).toBeUndefined();
    expect(codeCacheDir({}, theirs)).toBeUndefined();
    expect(readdirSync(theirs)).toEqual([]);
    chmodSync(theirs, 0o1777);
    expect(codeCacheDir({ NETPLUMB_CODE_CACHE: join(theirs, 'cache') }, scratch)).toMatch(new RegExp(`^${join(theirs, 'cache')}/`));
  });
});
