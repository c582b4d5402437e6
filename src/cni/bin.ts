// What the CNI shim execs with Node when no netplumbd answers
// (dist/cli/cni-plugin.cjs once bundled): the plugin in-process
// (dist/cli/cni.cjs, from main.ts) loaded with the code cache, as the CLI is.
import { loadWithCodeCache } from '../core/code-cache.js';

loadWithCodeCache(import.meta.url, './cni.cjs');
