// Users catch what the package throws: every error class defined anywhere in
// src/ (outside the CLI, whose errors never leave it) is exported from the
// package root and has a row in the README's error table.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as netplumb from '../../../src/index.js';

const ROOT = join(import.meta.dirname, '../../..');
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'cli' ? [] : sources(join(dir, e.name))) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
const errorClasses = [
  ...new Set(sources(join(ROOT, 'src')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/class (\w+) extends (\w*Error)\b/g)].map((m) => m[1]!))),
].sort();

describe('errors', () => {
  it('finds the error classes', () => {
    expect(errorClasses).toContain('LockTimeoutError');
    expect(errorClasses).toContain('PoolExhaustedError');
    expect(errorClasses).toContain('AddressInUseError');
  });

  it('exports every error class from the package root as a subclass of NetplumbError', () => {
    const exported = netplumb as unknown as Record<string, unknown>;
    for (const name of errorClasses) {
      const cls = exported[name] as (new (...a: never[]) => Error) | undefined;
      expect(cls, name).toBeTypeOf('function');
      expect(cls!.prototype instanceof netplumb.NetplumbError || cls === netplumb.NetplumbError, name).toBe(true);
    }
  });

  it('documents every error class in the README error table', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const undocumented = errorClasses.filter((n) => !new RegExp(`^\\|\\s*\`${n}\``, 'm').test(readme));
    expect(undocumented).toEqual([]);
  });

  it('keeps a failed system call apart from a netlink refusal', () => {
    const fields = { errno: 2, code: 'ENOENT', op: 'mount', object: '/run/netns/x' };
    const sys = new netplumb.SystemCallError('mount failed', fields);
    expect(sys).toBeInstanceOf(netplumb.KernelError);
    expect(sys).toBeInstanceOf(netplumb.SystemCallError);
    expect(sys).not.toBeInstanceOf(netplumb.NetlinkError);
    const nl = new netplumb.NotFoundError('no such device', { ...fields, op: 'RTM_NEWADDR' });
    expect(nl).toBeInstanceOf(netplumb.NetlinkError);
    expect(nl).not.toBeInstanceOf(netplumb.SystemCallError);
    const sysNotFound = new netplumb.NotFoundError('no such file', fields, 'syscall');
    expect(sysNotFound).toBeInstanceOf(netplumb.SystemCallError);
    expect(sysNotFound).not.toBeInstanceOf(netplumb.NetlinkError);
  });
});
