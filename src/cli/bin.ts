#!/usr/bin/env node
// The `netplumb` executable (dist/cli/main.cjs once bundled): the CLI
// (dist/cli/netplumb.cjs, from main.ts) loaded with the code cache, which
// must be in place before the bundle's first file is compiled.
import { loadWithCodeCache } from '../core/code-cache.js';

loadWithCodeCache(import.meta.url, './netplumb.cjs');
