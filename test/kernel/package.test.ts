// The npm package, as a user gets it: `npm pack`, then `npm install` of the
// tarball into an empty directory on a PATH with no compiler, offline, then the
// installed package used for real. Proves that `files` ships what is needed
// (and nothing of the repo's insides), that the install script takes the
// prebuild without compiling, and that the prebuild is what gets loaded.
//
// So that the test compiles nothing (CI's time budget), the package is packed
// from a staging copy of the repo whose prebuilds/ holds the addon `npm ci`
// already built (build/Release), or NETPLUMB_TEST_PREBUILD (e.g. the output of
// scripts/prebuild), and whose dist/ is compiled by tsc into the staging tree
// (the repo's own dist/ and prebuilds/ are left alone: others may be using them).
// node-gyp-build and node-addon-api are packed from node_modules, so the install
// needs neither the network nor an npm cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREBUILD as prebuildName, SHIM, REPO as repo, pack, packWithDependencies, run, stagePackage, userEnv } from './support/package.js';
import { assertSandbox } from './support/witness.js';

const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string; version: string };
let tmp = '';

beforeAll(assertSandbox);
afterAll(() => {
  if (tmp && !process.env.NETPLUMB_TEST_KEEP) rmSync(tmp, { recursive: true, force: true });
});

describe('npm package', () => {
  // Every runtime dependency is packed from node_modules (pino and prom-client, the daemon's, bring ~20): minutes on a busy machine.
  it('packs, installs from the tarball offline with no compiler on PATH, and runs on its prebuild', { timeout: 420_000 }, () => {
    tmp = mkdtempSync(join(tmpdir(), 'netplumb-pkg-'));
    const stage = join(tmp, 'stage');
    const dest = join(tmp, 'tarballs');
    mkdirSync(dest);
    stagePackage(stage);
    expect(existsSync(join(stage, 'dist/index.js'))).toBe(true);

    // What ships: the compiled JS with its types, the prebuild, and what a source build needs.
    const { tarball, files, deps } = packWithDependencies(stage, dest);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'binding.gyp', prebuildName,
      'dist/index.js', 'dist/index.d.ts', 'dist/addon/native.js', 'dist/cli/cni-plugin.cjs', 'native/cni-shim/main.c', SHIM, 'dist/testing/index.js', 'dist/testing/index.d.ts',
      'dist/testing/vitest-setup.js', 'native/binding/addon.cc', 'native/core/value.h']));
    const leaked = files.filter((f) => /^(src|test|bench|build|docs|examples|native\/tests|node_modules)\/|^scripts\/(?!sandbox$)|\.map$|^tsconfig|^\.|\.tgz$/.test(f));
    expect(leaked).toEqual([]);

    // A PATH with node, npm and sh only: no cc, c++, gcc, g++, make or python.
    const bin = join(tmp, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync(realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim()), join(bin, 'npm'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const env = userEnv(bin);
    for (const tool of ['cc', 'c++', 'gcc', 'g++', 'make', 'python3'])
      expect(spawnSync('sh', ['-c', `command -v ${tool}`], { env }).status, `${tool} on the install PATH`).not.toBe(0);

    const app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    const install = run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts',
      '--cache', join(tmp, 'npm-cache'), tarball, ...deps], { cwd: app, env });

    expect(install.stdout).toMatch(/> node-gyp-build\b/); // the install script ran, and found what it needed

    const installed = join(app, 'node_modules', pkg.name);
    expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version).toBe(pkg.version);
    expect(existsSync(join(installed, 'build')), `compiled on install:\n${install.stdout}${install.stderr}`).toBe(false);
    expect(existsSync(join(installed, prebuildName))).toBe(true);

    // Use it: a named namespace made and deleted, an anonymous one with a veth pair read back,
    // then which addon file this process has mapped.
    writeFileSync(join(app, 'use.mjs'), `
      import { readFileSync } from 'node:fs';
      import { Netns } from '${pkg.name}';
      const named = await Netns.create({ name: 'np-pkg-test' });
      const listed = (await Netns.list()).includes('np-pkg-test');
      await named.delete();
      const deleted = !(await Netns.list()).includes('np-pkg-test');
      const ns = await Netns.create();
      await ns.links.addVeth({ name: 'pkg0', up: true, peer: { name: 'pkg1', up: true } });
      const links = (await ns.links.list()).map((l) => l.name + ':' + (l.up ? 'up' : 'down')).sort();
      ns.close();
      const addons = [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\\n')
        .map((l) => l.split(/\\s+/)[5] ?? '').filter((p) => p.endsWith('.node')))];
      console.log(JSON.stringify({ listed, deleted, links, addons }));
    `);
    const used = JSON.parse(run('node', ['use.mjs'], { cwd: app, env }).stdout) as { listed: boolean; deleted: boolean; links: string[]; addons: string[] };
    expect(used.listed).toBe(true);
    expect(used.deleted).toBe(true);
    // Administrative state: the kernel may report a fresh veth's carrier (operstate) a moment late.
    expect(used.links).toEqual(['lo:up', 'pkg0:up', 'pkg1:up']);
    expect(used.addons).toEqual([realpathSync(join(installed, prebuildName))]);

    // The CNI plugin from the installed package: `netplumb cni install` puts the prebuilt shim in place, and with
    // no daemon to answer, the shim runs the installed package's in-process entry.
    const cniBin = join(tmp, 'cni-bin');
    run('node', [join(installed, 'dist/cli/main.cjs'), 'cni', 'install', '--bin-dir', cniBin], { cwd: app, env });
    const version = spawnSync(join(cniBin, 'netplumb'), [], {
      input: '{"cniVersion":"1.0.0"}', encoding: 'utf8', env: { ...env, CNI_COMMAND: 'VERSION', NETPLUMB_HOST: `unix://${join(tmp, 'no-daemon.sock')}` },
    });
    expect(version.status, version.stderr).toBe(0);
    expect(JSON.parse(version.stdout)).toEqual({ cniVersion: '1.0.0', supportedVersions: ['1.0.0', '1.1.0'] });

    // The control: the same package without its prebuild cannot install here, so the PATH really has
    // no way to compile and the install above was the prebuild's doing.
    rmSync(join(stage, 'prebuilds'), { recursive: true });
    mkdirSync(join(tmp, 'bare'));
    const bare = pack(join(stage), join(tmp, 'bare'));
    expect(bare.files.filter((f) => f.startsWith('prebuilds/'))).toEqual([]);
    const app2 = join(tmp, 'app2');
    mkdirSync(app2);
    writeFileSync(join(app2, 'package.json'), JSON.stringify({ name: 'app2', version: '1.0.0', private: true }));
    const failed = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts',
      '--cache', join(tmp, 'npm-cache'), bare.tarball, ...deps], { cwd: app2, env, encoding: 'utf8', timeout: 120_000 });
    expect(failed.status, 'installed without a prebuild and without a compiler').not.toBe(0);
    expect(failed.stdout + failed.stderr).toMatch(/gyp/);

    // The types ship: a consumer's TypeScript resolves the package's declarations through `exports`.
    writeFileSync(join(app, 'use-types.ts'), `import { Netns, type Link } from '${pkg.name}';\nimport { Lab, type LabSandbox } from '${pkg.name}/testing';\n` +
      `const f = async (): Promise<Link[]> => (await Netns.create()).links.list();\nconst g = async (): Promise<LabSandbox> => (await Lab.open()).sandbox('s');\nexport { f, g };\n`);
    run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--target', 'es2022', '--types', 'node', '--typeRoots', join(repo, 'node_modules/@types'), 'use-types.ts'], { cwd: app, env });
  });
});
