// The npm package as a user gets it, for tests that install it: a tarball
// packed from a staging copy of the repository (dist/ compiled into it, the
// addon already built copied in as its prebuild; the repo's own dist/ and
// prebuilds/ are left alone: others may be using them), and its runtime
// dependencies packed from node_modules, so an install needs neither the
// network nor an npm cache.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../../..');
export const PREBUILD = 'prebuilds/linux-x64/netplumb.glibc.node';
/** The CNI plugin's native shim, shipped prebuilt beside the addon (scripts/prebuild builds both). */
export const SHIM = 'prebuilds/linux-x64/netplumb-cni';

/** The environment of a user's shell: none of the variables of the `npm test` (and the sandbox) we run under. */
export function userEnv(path: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|NODE_|VITEST|INIT_CWD|NETPLUMB_)/i.test(k) || k === 'TEST') continue;
    env[k] = v;
  }
  env.PATH = path;
  return env;
}

export function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { timeout: 120_000, ...opts, encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** npm pack --json in DIR (scripts off: prepack would build); the tarball's path and its file list. */
export function pack(dir: string, dest: string): { tarball: string; files: string[] } {
  const out = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: dir }).stdout;
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(dest, info!.filename), files: info!.files.map((f) => f.path).sort() };
}

/** The names of package.json's `dependencies` and of theirs, as installed in the repo's node_modules. */
export function runtimeDeps(): string[] {
  const seen = new Set<string>();
  const visit = (dir: string): void => {
    const { dependencies = {} } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(dependencies)) {
      if (seen.has(name)) continue;
      seen.add(name);
      visit(join(REPO, 'node_modules', name));
    }
  };
  visit(REPO);
  return [...seen].sort();
}

/**
 * Stages the repository under `stage` (what it has, minus build/ and the
 * repo's own prebuilds/), compiles dist/ into it and puts the built addon in
 * as its prebuild (or NETPLUMB_TEST_PREBUILD, e.g. the output of scripts/prebuild).
 */
export function stagePackage(stage: string): void {
  mkdirSync(join(stage, 'prebuilds/linux-x64'), { recursive: true });
  for (const f of ['package.json', 'LICENSE', 'README.md', 'binding.gyp', 'native', 'scripts', 'src', 'test', 'bench', 'docs', 'examples', 'tsconfig.json'])
    if (existsSync(join(REPO, f))) cpSync(join(REPO, f), join(stage, f), { recursive: true });
  // dist/ as prepack makes it (exit status ignored: a colleague's half-written module elsewhere in
  // src/ must not fail the caller — `npm run typecheck` does that — as long as the entry points compile).
  spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], { encoding: 'utf8' });
  // Then the bin, bundled by the stage's own script; it finds rolldown and commander through a node_modules
  // borrowed from the repository for the while (npm pack would leave it out anyway).
  symlinkSync(join(REPO, 'node_modules'), join(stage, 'node_modules'));
  try {
    run(process.execPath, [join(stage, 'scripts/bundle-cli.mjs')], { cwd: stage });
  } finally {
    unlinkSync(join(stage, 'node_modules'));
  }
  // The prebuild: the addon already built for this machine, copied under build-native's lock.
  const addon = process.env.NETPLUMB_TEST_PREBUILD ? resolve(REPO, process.env.NETPLUMB_TEST_PREBUILD) : join(REPO, 'build/Release/netplumb.node');
  execFileSync('flock', [join(process.env.TMPDIR ?? '/tmp', 'netplumb-build.lock'), 'cp', addon, join(stage, PREBUILD)]);
  execFileSync('flock', [join(process.env.TMPDIR ?? '/tmp', 'netplumb-build.lock'), 'cp', join(REPO, 'build/Release/netplumb-cni'), join(stage, SHIM)]);
}

/** The package's tarball and its runtime dependencies' tarballs, all in `dest`. */
export function packWithDependencies(stage: string, dest: string): { tarball: string; files: string[]; deps: string[] } {
  const { tarball, files } = pack(stage, dest);
  const deps = runtimeDeps().map((d) => pack(join(REPO, 'node_modules', d), dest).tarball);
  return { tarball, files, deps };
}
