// Several runs of bench/endpoint.mjs side by side: each number as the median
// of the runs' values with their range, so that a loaded machine shows as a
// spread rather than as one lucky or unlucky run. Reads the JSON line each
// run prints last.
//
//   for r in 1 2 3; do scripts/sandbox node bench/endpoint.mjs > run$r.txt; done
//   node bench/summarize.mjs run1.txt run2.txt run3.txt
import { readFileSync } from 'node:fs';
import { fmt, median } from './lib/stats.mjs';

const runs = process.argv.slice(2).map((f) => {
  const line = readFileSync(f, 'utf8').split('\n').find((l) => l.startsWith('JSON '));
  if (!line) throw new Error(`${f} holds no JSON line: did the run finish?`);
  return JSON.parse(line.slice(5));
});
if (runs.length === 0) {
  console.error('usage: node bench/summarize.mjs RUN_OUTPUT...');
  process.exit(64);
}

/** "median (min–max)" of a value taken from each run; `digits` for ratios. */
function spread(get, digits) {
  const xs = runs.map(get).filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (xs.length === 0) return 'n/a';
  const f = (x) => (digits === undefined ? fmt(x) : `${x.toFixed(digits)}×`);
  const m = f(median(xs));
  return xs.length === 1 ? m : `${m} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

console.log(`${runs.length} runs; load average (1 min) at their starts: ${runs.map((r) => r.load?.start?.[0]?.toFixed(1) ?? '?').join(', ')}`);

const row = (r, name) => r.model?.rows.find((x) => x.name === name);
const PRIM = 'primitives, the same plan';
const COLD = 'Engine, cold';
const POOL = 'Engine, from the warm pool';
const cRow = (r) => r.rows.find((x) => x.name.startsWith('C in-process'));

console.log('\nDocker model endpoint with one published port (ms, medians of each run)');
console.log('| | set up | tear down | set up, CPU | tear down, CPU |');
console.log('|---|---|---|---|---|');
for (const name of [PRIM, COLD, POOL])
  console.log(`| ${name} | ${spread((r) => row(r, name)?.setup)} | ${spread((r) => row(r, name)?.teardown)} | ${spread((r) => row(r, name)?.setupCpu)} | ${spread((r) => row(r, name)?.teardownCpu)} |`);
console.log(`| C in-process, no port | ${spread((r) => cRow(r)?.setup)} | ${spread((r) => cRow(r)?.teardown)} | | |`);
console.log(`\nEngine cold ÷ primitives: set up ${spread((r) => row(r, COLD)?.setup / row(r, PRIM)?.setup, 2)}, tear down ${spread((r) => row(r, COLD)?.teardown / row(r, PRIM)?.teardown, 2)}`);
console.log(`  in CPU time: set up ${spread((r) => row(r, COLD)?.setupCpu / row(r, PRIM)?.setupCpu, 2)}, tear down ${spread((r) => row(r, COLD)?.teardownCpu / row(r, PRIM)?.teardownCpu, 2)}`);
console.log(`Engine from the pool, set up: ${spread((r) => row(r, POOL)?.setup)} ms; ÷ C cold set up ${spread((r) => row(r, POOL)?.setup / cRow(r)?.setup, 2)}`);
console.log(`Engine remove back to back with its create: ${spread((r) => r.model?.backToBackRemove)} ms`);

console.log('\nGrowth: last hundred ÷ first hundred');
for (const [key, name] of [['netplumb', 'primitives (one plan)'], ['c', 'C in-process'], ['engine', 'Engine, cold'], ['pool', 'Engine, from the pool']])
  console.log(`  ${name}`.padEnd(28) + `${spread((r) => r.growth?.[key]?.last / r.growth?.[key]?.first, 2)}   first ${spread((r) => r.growth?.[key]?.first)} ms, last ${spread((r) => r.growth?.[key]?.last)} ms`);
for (const [key, name] of [['engineSteps', 'Engine, cold'], ['cSteps', 'C in-process']]) {
  const steps = Object.keys(runs[0].growth?.[key] ?? {});
  for (const s of steps)
    console.log(`    ${name}: ${s.replace(/^\d+:/, '')}`.padEnd(48) + `${spread((r) => r.growth[key][s].last / r.growth[key][s].first, 2)}   ${spread((r) => r.growth[key][s].first)} → ${spread((r) => r.growth[key][s].last)} ms`);
}

console.log('\nOne caller against two (sandboxes per second)');
for (const [key, name] of [['c', 'C in-process, two processes'], ['primitives', 'primitives'], ['engine', 'Engine, cold']]) {
  console.log(`  ${name}`.padEnd(32) + `1: ${spread((r) => r.concurrent?.[key]?.[1]?.rate)}/s, 2: ${spread((r) => r.concurrent?.[key]?.[2]?.rate)}/s, ratio ${spread((r) => r.concurrent?.[key]?.[2]?.rate / r.concurrent?.[key]?.[1]?.rate, 2)}`);
  for (const s of Object.keys(runs[0].concurrent?.[key]?.[1]?.steps ?? {}))
    console.log(`    ${s.replace(/^\d+:/, '')}`.padEnd(34) + `${spread((r) => r.concurrent[key][1].steps[s])} → ${spread((r) => r.concurrent[key][2].steps[s])} ms`);
}
