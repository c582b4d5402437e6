// netplumb's CNI plugin in-process (bundled as dist/cli/cni.cjs, loaded by
// bin.ts): what the native shim (native/cni-shim) execs when no netplumbd
// answers, with the runtime's environment and the network config on stdin. It opens an Engine on the config's stateDir (or
// the default state) only for commands that need one, answers exactly as the
// daemon would, and finishes background work before it exits. Logs go to
// stderr only: stdout carries the CNI result and nothing else.
import { Engine } from '../model/index.js';
import { runCni } from './run.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (k.startsWith('CNI_') && v !== undefined) env[k] = v;

async function main(): Promise<void> {
  let engine: Engine | undefined;
  const response = await runCni({ env, stdin: await readStdin() }, async (stateDir) => {
    engine = await Engine.open({ ...(stateDir !== undefined ? { stateDir } : {}), dns: false });
    return engine;
  });
  // The veth pairs of a DEL are deleted now: nothing outlives this process.
  await engine?.close();
  process.stdout.write(response.stdout);
  process.exit(response.exitCode);
}

// No top-level await: bundled as CommonJS (scripts/bundle-cli.mjs).
void main();
