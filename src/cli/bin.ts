#!/usr/bin/env node
// The `netplumb` executable (dist/cli/main.cjs once bundled): turns on the
// code cache for the CLI's bundle, then loads the CLI (dist/cli/netplumb.cjs,
// from main.ts). A file of its own because the cache must be in place before
// the bundle's first file is compiled.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeCacheDir, enableCodeCache } from './code-cache.js';

const here = dirname(fileURLToPath(import.meta.url));
const cacheDir = codeCacheDir(process.env, here);
if (cacheDir) enableCodeCache(cacheDir, here);
createRequire(import.meta.url)('./netplumb.cjs');
