// Issue 16's start-up benchmark: what a CLI command costs above starting Node
// itself, one process per call, round-robin in the same run:
//
//   node -e 0                        the floor
//   netplumb --help                  parsing and help only
//   netplumb ps                      in-process (no daemon), over a state with
//                                    one network and two sandboxes
//   netplumb network ls              the same, networks
//   netplumb graph                   for scale: reads the kernel too
//
// Reported: the median of each, and its difference from the floor.
// Run inside the sandbox: npm run build:ts && scripts/sandbox node bench/cli-startup.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertSandbox, fmt, median, now, run } from './lib/stats.mjs';

assertSandbox();
const N = Number(process.env.BENCH_ITER ?? 30);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const state = mkdtempSync(join(tmpdir(), 'np-bench-cli-'));
const cli = (...args) => [CLI, '--state-dir', state, ...args];

run(process.execPath, cli('network', 'create', '--subnet', '10.201.0.0/24', 'benchnet'));
run(process.execPath, cli('create', '--name', 'b1', '--network', 'benchnet', '-p', '18080:80'));
run(process.execPath, cli('create', '--name', 'b2', '--network', 'benchnet'));

const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'netplumb --help', args: [CLI, '--help'] },
  { name: 'netplumb ps', args: cli('ps') },
  { name: 'netplumb network ls', args: cli('network', 'ls') },
  { name: 'netplumb graph', args: cli('graph') },
];
const times = cases.map(() => []);
for (let i = 0; i < N + 2; i++)
  for (const [k, c] of cases.entries()) {
    const t0 = now();
    const r = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = now() - t0;
    if (r.status !== 0) throw new Error(`${c.name} failed: ${r.stderr}`);
    // Two warm-up rounds (page cache, the addon's first load).
    if (i >= 2) times[k].push(ms);
  }

run(process.execPath, cli('rm', '-f', 'b1', 'b2'));
run(process.execPath, cli('network', 'rm', 'benchnet'));
rmSync(state, { recursive: true, force: true });

const floor = median(times[0]);
console.log(`\nCLI start-up, ${N} runs each, round-robin, one process per call (median ms; node ${process.version})`);
console.log('  command'.padEnd(28) + 'median'.padStart(9) + 'vs node -e 0'.padStart(15) + 'ratio'.padStart(8));
for (const [k, c] of cases.entries()) {
  const m = median(times[k]);
  console.log(`  ${c.name}`.padEnd(28) + fmt(m).padStart(9) + (k === 0 ? '' : `+${fmt(m - floor)}`).padStart(15) + `${(m / floor).toFixed(2)}×`.padStart(8));
}
