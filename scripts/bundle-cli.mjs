#!/usr/bin/env node
// Makes dist/cli/main.js (the `netplumb` bin) a bundle: the CLI, the daemon
// client and commander, with each command's own modules in a chunk that is
// loaded only when that command runs (program.ts imports them lazily). A command that goes through the
// daemon then loads a handful of files instead of ~35, which is most of its
// cost above Node's own start-up. Everything else (the model, the addon, the
// daemon, core and store modules) stays a separate module of dist/ that the
// bundle imports where it imported it, so every class exists once
// (`instanceof` on errors works across the bundle and the model).
// Run after tsc: npm run build:ts does both.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(root, 'dist');
const entry = resolve(dist, 'cli', 'main.js');
/** The parts that go into the bundle: the CLI, the client, the daemon's flag definitions (commander only). */
const inside = (file) => ['cli/', 'client/', 'daemon/flags.js'].some((p) => relative(dist, file).startsWith(p));

// Chunks of an earlier build would stay beside the new ones.
for (const f of readdirSync(resolve(dist, 'cli'))) if (/^chunk-.*\.js$/.test(f)) rmSync(resolve(dist, 'cli', f));

await build({
  input: entry,
  platform: 'node',
  logLevel: 'warn',
  plugins: [
    {
      name: 'netplumb-externals',
      // Static and dynamic imports of other dist/ modules stay imports, written relative to dist/cli/.
      resolveId(spec, importer) {
        if (!importer || !spec.startsWith('.')) return null;
        const file = resolve(dirname(importer), spec);
        if (!file.startsWith(`${dist}/`) || inside(file)) return null;
        return { id: `./${relative(resolve(dist, 'cli'), file)}`, external: true };
      },
      resolveDynamicImport(spec, importer) {
        if (typeof spec !== 'string') return null;
        if (spec.startsWith('node:')) return { id: spec, external: true };
        if (!spec.startsWith('.') || !importer) return null;
        const file = resolve(dirname(importer), spec);
        // The CLI's own commands, loaded when run, become chunks of the bundle (one copy of each shared module).
        if (inside(file)) return null;
        return { id: `./${relative(resolve(dist, 'cli'), file)}`, external: true };
      },
    },
  ],
  // The entry keeps its name (the bin); each command's modules are a chunk beside it, loaded when that command runs.
  output: { dir: resolve(dist, 'cli'), entryFileNames: 'main.js', chunkFileNames: 'chunk-[name]-[hash].js', format: 'esm', minify: true },
});
