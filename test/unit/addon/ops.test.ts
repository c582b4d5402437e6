// The op table is the one contract between TypeScript and C++: the addon
// registers exactly the operations the table lists, and no file outside
// src/addon names an operation as a string.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../../../src/addon/native.js';
import { OP_NAMES } from '../../../src/addon/ops.js';

const SRC = join(import.meta.dirname, '../../../src');
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

describe('op table', () => {
  it('lists every operation the addon registers, and only those', () => {
    expect([...OP_NAMES].sort()).toEqual([...native.opNames()].sort());
  });

  it('is the only place that writes an operation name', () => {
    const literal = new RegExp(`op:\\s*'(${OP_NAMES.map((n) => n.replace('.', '\\.')).join('|')})'`);
    const offenders = sources(SRC).filter((f) => !f.includes('/addon/') && literal.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('gives the worker thread name from the addon', () => {
    expect(native.workerThreadName).toBe('netplumb-worker');
  });
});
