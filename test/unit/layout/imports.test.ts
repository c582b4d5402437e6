// The layout is the architecture: each folder of src/ is one layer, and a
// file imports only from its own folder or from layers below it. This test
// reads every import of src/ (type-only ones too) and fails on an upward or
// sideways import and on any circle of files.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../../src');

// Rank of each layer: imports point to a strictly lower rank (or stay in their folder).
const RANK: Record<string, number> = {
  core: 0,
  addon: 1,
  addressing: 1,
  store: 1,
  kernel: 2,
  dns: 2,
  cluster: 2,
  rtnl: 3,
  nft: 3,
  'netns.ts': 4,
  model: 5,
  demo: 6,
  client: 6,
  testing: 6,
  cni: 6,
  daemon: 7,
  cli: 8,
  'index.ts': 9,
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)|declare module '([^']+)'/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec === undefined || !spec.startsWith('.')) continue;
    out.push(normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return out;
}

const layerOf = (file: string): string => relative(SRC, file).split('/')[0]!;
const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('src/ layout', () => {
  it('has only the public face and the Netns face at its root', () => {
    const root = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
    expect(root.sort()).toEqual(['index.ts', 'netns.ts']);
  });

  it('puts every folder in a known layer', () => {
    const unknown = [...new Set(files.map(layerOf))].filter((l) => RANK[l] === undefined);
    expect(unknown).toEqual([]);
  });

  it('imports only downward or within a layer', () => {
    const bad: string[] = [];
    for (const [file, deps] of graph) {
      const from = layerOf(file);
      for (const dep of deps) {
        const to = layerOf(dep);
        if (to !== from && !(RANK[to]! < RANK[from]!)) bad.push(`${relative(SRC, file)} -> ${relative(SRC, dep)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('imports only files that exist', () => {
    const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${relative(SRC, f)} -> ${d}`));
    expect(missing).toEqual([]);
  });

  it('has no import circle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        circles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const d of graph.get(f) ?? []) visit(d, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(circles).toEqual([]);
  });
});
