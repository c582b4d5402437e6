#!/usr/bin/env node
// Makes the `netplumb` bin: the whole CLI as CommonJS, dist/cli/netplumb.cjs
// (from cli/main.ts), with each command's modules in a chunk that is loaded
// only when that command runs (program.ts imports them lazily). A command
// through the daemon then loads a handful of files, and nothing of the model,
// the addon or DNS. The bin itself, dist/cli/main.cjs (from cli/bin.ts),
// turns on the code cache (core/code-cache.ts) and loads netplumb.cjs. The
// CNI plugin's in-process path is made the same way: dist/cli/cni.cjs (from
// cni/main.ts) and its bin dist/cli/cni-plugin.cjs (from cni/bin.ts).
//
// CommonJS and not ES modules, because Node's ESM loader is most of what a
// short command costs above Node's own start-up: every `import … from
// 'node:fs'` builds a facade that reads all of fs's exports (which loads the
// streams), and each module is resolved and read through fs/promises
// (measured with bench/cli-startup.mjs: `--help` +49 ms as ESM, +24 as CJS).
//
// The bundle holds its own copy of every module it uses (the model, the addon
// loader, the daemon): one CLI process never mixes it with dist/'s ES modules,
// so each class still exists once there. npm dependencies other than commander
// stay require()s of node_modules.
// Run after tsc: npm run build:ts does both.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const cliDir = resolve(root, 'dist', 'cli');
// The bundle's entries (tsc's ES modules) and their bins, each a file of dist/cli.
const entries = { netplumb: resolve(cliDir, 'main.js'), cni: resolve(root, 'dist', 'cni', 'main.js') };
const bins = { main: resolve(cliDir, 'bin.js'), 'cni-plugin': resolve(root, 'dist', 'cni', 'bin.js') };

// Commander requires child_process at load, for git-style executable
// subcommands that netplumb does not use; child_process loads net, dgram and
// the streams (~8 ms). Deferred to the one call that needs it.
const commanderChildProcess = {
  name: 'netplumb-lazy-child-process',
  transform(code, id) {
    if (!/[\\/]commander[\\/]lib[\\/]command\.js$/.test(id)) return null;
    const eager = "const childProcess = require('node:child_process');";
    if (!code.includes(eager)) throw new Error(`${id}: commander no longer loads child_process as "${eager}"; update scripts/bundle-cli.mjs`);
    return code.replace(eager, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };");
  },
};

// Builtins that cost milliseconds to load (crypto starts OpenSSL, which reads
// its configuration and the CA bundle; child_process loads net, dgram and the
// streams; net loads the streams, ~4 ms) are loaded at the first call of what
// a module imports from them: a listing in process reads state and never
// makes an id, spawns or connects. Only functions can be deferred so, which
// the build checks.
const LAZY_BUILTINS = ['crypto', 'child_process', 'net'];
const require = createRequire(import.meta.url);
const lazyBuiltins = {
  name: 'netplumb-lazy-builtins',
  transform(code, id) {
    if (!id.startsWith(`${resolve(root, 'dist')}/`)) return null;
    return code.replace(/^import \{ ([^}]+) \} from 'node:([a-z_]+)';$/gm, (line, names, mod) => {
      if (!LAZY_BUILTINS.includes(mod)) return line;
      const loaded = `__lazy_${mod}`;
      const defs = names.split(',').map((n) => {
        const [imported, local = imported] = n.trim().split(/\s+as\s+/);
        if (typeof require(`node:${mod}`)[imported] !== 'function') throw new Error(`${id}: ${imported} of node:${mod} is not a function and cannot be loaded lazily`);
        return `function ${local}(...args) { return ${loaded}().${imported}(...args); }`;
      });
      return [`let ${loaded}_m; const ${loaded} = () => (${loaded}_m ??= require('node:${mod}'));`, ...defs].join(' ');
    });
  },
};

// Dynamic imports of builtins become require()s: the code cache compiles the
// bundle with vm.Script, whose import() would need Node's experimental loader
// hook (and a warning on every use). The build checks that none is left.
const builtinImports = {
  name: 'netplumb-builtin-imports',
  transform(code, id) {
    if (!id.startsWith(`${resolve(root, 'dist')}/`)) return null;
    return code.replace(/\bimport\((['`])(node:[a-z_/]+)\1\)/g, (_, q, mod) => `Promise.resolve().then(() => require('${mod}'))`);
  },
};

// What every command through the daemon (and `ps`, `network ls` in process)
// loads: the client, the errors, the output and the discovery of netplumbd,
// as one chunk rather than a dozen. Each file costs its resolution and read
// (~0.2 ms) while, with the code cache, its size costs little (measured with
// valgrind's instruction counts: create and rm through the daemon -15M
// instructions, about 4 ms; --help -8M). Only these modules: their
// dependencies stay where they were (commander with the entry, so that
// --help does not load the chunk).
const CLIENT_CHUNK = /[\\/]dist[\\/](client[\\/]|core[\\/](?!package\.js)|store[\\/]daemon-info\.js|cli[\\/](engine|output|errors|format|progress)\.js)/;

// Chunks, the bins and the code cache of an earlier build would stay beside the new ones.
for (const f of readdirSync(cliDir)) if (/^chunk-.*\.c?js$/.test(f) || /^(main|netplumb|cni|cni-plugin)\.cjs$/.test(f)) rmSync(resolve(cliDir, f));
rmSync(resolve(cliDir, '.code-cache'), { recursive: true, force: true });

// One build per entry: chunks shared by two entries could end up requiring
// the other entry's file, which runs that program.
for (const [name, entry] of Object.entries(entries))
  await build({
    input: { [name]: entry },
    platform: 'node',
    logLevel: 'warn',
    external: [/^node:/, 'node-gyp-build', 'pino', 'prom-client', 'undici'],
    plugins: [commanderChildProcess, lazyBuiltins, builtinImports],
    // The entry is a script: nothing imports its exports, so rolldown may place modules without keeping them.
    preserveEntrySignatures: false,
    output: {
      dir: cliDir,
      entryFileNames: '[name].cjs',
      chunkFileNames: 'chunk-[name]-[hash].cjs',
      codeSplitting: { includeDependenciesRecursively: false, groups: [{ name: 'client', test: CLIENT_CHUNK }] },
      format: 'cjs',
      minify: process.env.BUNDLE_MINIFY !== '0',
    },
  });
for (const f of readdirSync(cliDir).filter((f) => f.endsWith('.cjs'))) {
  // Comment lines left out (an unminified build keeps JSDoc's `import("…")` types).
  const code = readFileSync(resolve(cliDir, f), 'utf8').split('\n').filter((l) => !/^\s*(\*|\/\/)/.test(l)).join('\n');
  if (/\bimport\(/.test(code)) throw new Error(`dist/cli/${f} has a dynamic import(), which the code cache cannot run; make it a require() (see builtinImports)`);
}

// The bins, main.cjs (`netplumb`) and cni-plugin.cjs (the CNI shim's
// fallback): the code cache and one require of their entry. Each is whole,
// so that nothing of the bundle is compiled before the cache is on.
for (const [name, bin] of Object.entries(bins))
  await build({
    input: bin,
    platform: 'node',
    logLevel: 'warn',
    external: [/^node:/],
    output: { file: resolve(cliDir, `${name}.cjs`), format: 'cjs', minify: process.env.BUNDLE_MINIFY !== '0' },
  });
// tsc's ES modules of the entries are not a second way in.
for (const f of [...Object.values(entries), ...Object.values(bins)]) rmSync(f);
