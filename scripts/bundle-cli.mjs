#!/usr/bin/env node
// Makes dist/cli/main.js (the `netplumb` bin) one file: the CLI's commands,
// the daemon client and commander, bundled. A command that goes through the
// daemon then loads a handful of files instead of ~35, which is most of its
// cost above Node's own start-up. Everything else (the model, the addon, the
// daemon, core and store modules) stays a separate module of dist/ that the
// bundle imports where it imported it, so every class exists once
// (`instanceof` on errors works across the bundle and the model).
// Run after tsc: npm run build:ts does both.
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(root, 'dist');
const entry = resolve(dist, 'cli', 'main.js');
/** The parts that go into the bundle: the CLI, the client, the daemon's flag definitions (commander only). */
const inside = (file) => ['cli/', 'client/', 'daemon/flags.js'].some((p) => relative(dist, file).startsWith(p));

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
        return { id: `./${relative(resolve(dist, 'cli'), file)}`, external: true };
      },
    },
  ],
  output: { file: entry, format: 'esm', codeSplitting: false },
});
