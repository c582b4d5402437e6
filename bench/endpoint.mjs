// One bridge endpoint — a named namespace with lo up, a veth pair with its
// peer inside as eth0, the host end on the bridge, an address, a default
// route — set up and torn down N times by netplumb (one plan per endpoint),
// by a C program doing the same in-process (bench/baseline/endpoint.c: the
// kernel's floor on this machine), by one `ip` process per step, and by
// `ip -batch` (one for the host side, one for the namespace side). Then
// GROWTH endpoints kept on one bridge, by netplumb with and without the
// IPv6-less options and by the C program, comparing the first and last
// hundred. Then the Docker model's endpoint (one sandbox with one published
// port) by the Engine, cold and from its warm pool, beside the same plan made
// of primitives (bench/endpoint/model.mjs) and, for the pool, the C program's
// same kernel steps on a pair made ready the same way: set up, tear down,
// growth over GROWTH sandboxes; and one caller against two
// (bench/endpoint/concurrent.mjs).
// BENCH_MODEL=0 skips the model's part, BENCH_CONCURRENT=0 the two callers.
// Run inside scripts/sandbox.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Netns, Plan, linkCalls, netnsCalls, addrCalls, routeCalls } from '../dist/index.js';
import { assertSandbox, have, median, now, run, table, fmt } from './lib/stats.mjs';
import { LAG, modelEndpoint, modelGrowth } from './endpoint/model.mjs';
import { concurrency } from './endpoint/concurrent.mjs';
import { loadavg, cpus } from 'node:os';

assertSandbox();
const N = Number(process.env.BENCH_ENDPOINTS ?? 100);
const GROWTH = Number(process.env.BENCH_GROWTH ?? 1000);
// BENCH_WITHOUT=0 skips the growth run without the IPv6-less options (the slow one).
const WITHOUT = process.env.BENCH_WITHOUT !== '0';
const MODEL = process.env.BENCH_MODEL !== '0';
const CONCURRENT = process.env.BENCH_CONCURRENT !== '0';
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadStart = loadavg();
console.log(`${cpus().length} CPUs, load average at start ${load()} (other work on the machine shows in the spread between runs; the ratios are of the same run)`);
const host = Netns.host();

const ip4 = (i) => `172.${18 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`;
const endpointAddr = (i) => ip4(i + 2);

// The C baseline, built here with the system compiler.
function buildBaseline() {
  if (!have('cc')) return null;
  const src = fileURLToPath(new URL('./baseline/endpoint.c', import.meta.url));
  const bin = join(tmpdir(), `netplumb-endpoint-baseline-${process.pid}`);
  execFileSync('cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' });
  return bin;
}
const baseline = buildBaseline();

await host.exec([linkCalls.addBridge({ name: 'br0', up: true, addrGenMode: 'none' }), addrCalls.add({ dev: 'br0', address: '172.18.0.1/16' })]);

// netplumb: one plan, one trip to the addon, per endpoint. `quiet` gives both
// veth ends no IPv6 link-local address (so no DAD, router solicitation or MLD
// that the bridge floods to every port): what an IPv6-less network wants.
// readBack: false — the plan does not use the veth it made, so it is not read back.
function endpointPlan(i, quiet = true) {
  const plan = new Plan(null);
  const ns = plan.add(netnsCalls.create({ name: `np${i}`, loopbackUp: true }));
  const gen = quiet ? { addrGenMode: 'none' } : {};
  plan.add(linkCalls.addVeth({ name: `vnp${i}`, master: 'br0', up: true, readBack: false, ...gen, peer: { name: 'eth0', netns: ns, up: true, ...gen } }));
  plan.add(addrCalls.add({ dev: 'eth0', address: `${endpointAddr(i)}/16` }), ns);
  plan.add(routeCalls.add({ destination: 'default', gateway: '172.18.0.1' }), ns);
  return plan;
}
async function netplumbSetup(i) {
  const [handle] = await endpointPlan(i).run();
  return handle;
}
async function netplumbTeardown(i, handle) {
  handle.close();
  await host.exec([netnsCalls.remove(`np${i}`)]);
}

function ipSetup(i) {
  const ns = `ip${i}`;
  run('ip', ['netns', 'add', ns]);
  run('ip', ['link', 'add', `vip${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  run('ip', ['link', 'set', `vip${i}`, 'master', 'br0', 'up']);
  run('ip', ['-n', ns, 'addr', 'add', `${endpointAddr(i)}/16`, 'dev', 'eth0']);
  run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  run('ip', ['-n', ns, 'route', 'add', 'default', 'via', '172.18.0.1']);
}
function ipTeardown(i) {
  run('ip', ['netns', 'del', `ip${i}`]);
}

function batchSetup(i) {
  const ns = `ib${i}`;
  run('ip', ['-batch', '-'], `netns add ${ns}\nlink add vib${i} type veth peer name eth0 netns ${ns}\nlink set vib${i} master br0 up\n`);
  run('ip', ['-n', ns, '-batch', '-'], `addr add ${endpointAddr(i)}/16 dev eth0\nlink set eth0 up\nlink set lo up\nroute add default via 172.18.0.1\n`);
}
function batchTeardown(i) {
  run('ip', ['-batch', '-'], `netns del ib${i}\n`);
}

async function measure(name, setup, teardown, offset) {
  const s = [];
  const t = [];
  for (let k = 0; k < N; k++) {
    const i = offset + k;
    let t0 = now();
    const h = await setup(i);
    s.push(now() - t0);
    t0 = now();
    await teardown(i, h);
    t.push(now() - t0);
  }
  return { name, setup: median(s), teardown: median(t) };
}

// The C program's steps, as its `steps` mode prints them after the set-up time.
export const C_STEPS = ['netns (unshare, bind mount)', 'lo up', 'veth onto the bridge', 'sandbox end up', 'host end up', 'address, route'];

// The C program times itself: one line per endpoint, "setup_ms [teardown_ms]".
function runBaseline(first, count, mode) {
  const out = run(baseline, ['br0', String(first), String(count), mode]);
  return out.trim().split('\n').map((l) => l.split(' ').map(Number));
}

// The kernel removes a namespace's veth in the background; let it finish
// before the next measurement so that one run's cleanup does not bill the next.
async function settle() {
  for (let k = 0; k < 600; k++) {
    const [veths] = await host.exec([linkCalls.list({ kind: 'veth' })]);
    if (veths.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Warm up the addon's threads and sockets.
await netplumbTeardown(60000, await netplumbSetup(60000));

const rows = [await measure('netplumb (one plan)', netplumbSetup, netplumbTeardown, 0)];
if (baseline) {
  await settle();
  const lines = runBaseline(3000, N, 'cycle');
  rows.push({ name: 'C in-process (kernel floor)', setup: median(lines.map((l) => l[0])), teardown: median(lines.map((l) => l[1])) });
}
await settle();
rows.push(await measure('ip, one process per step', ipSetup, ipTeardown, 1000));
await settle();
rows.push(await measure('ip -batch (host + netns)', batchSetup, batchTeardown, 2000));
table(`One bridge endpoint, median of ${N} (set up, then torn down)`, rows);

// Growth: GROWTH endpoints kept on one bridge; the first and last hundred compared.
const H = Math.min(100, Math.max(1, GROWTH >> 1));
function growthLine(name, costs) {
  const first = median(costs.slice(0, H));
  const last = median(costs.slice(-H));
  console.log(`  ${name}`.padEnd(46) + fmt(first).padStart(9) + fmt(last).padStart(9) + `${(last / first).toFixed(2)}×`.padStart(8));
  return { first, last };
}
async function netplumbGrowth(offset, quiet) {
  await settle();
  const handles = [];
  const costs = [];
  const steps = [];
  for (let i = 0; i < GROWTH; i++) {
    const plan = endpointPlan(offset + i, quiet);
    const t0 = now();
    const { results, timings } = await plan.run({ timings: true });
    costs.push(now() - t0);
    steps.push(timings);
    handles.push(results[0]);
  }
  for (let i = 0; i < GROWTH; i++) await netplumbTeardown(offset + i, handles[i]);
  return { costs, steps, ops: endpointPlan(0).calls.map((c) => c.op) };
}

const growth = {};
if (GROWTH >= 2) {
  console.log(`\n${GROWTH} endpoints on one bridge, set-up ms per endpoint`);
  console.log('  '.padEnd(46) + `first ${H}`.padStart(9) + `last ${H}`.padStart(9) + 'ratio'.padStart(8));
  const quiet = await netplumbGrowth(10000, true);
  growth.netplumb = growthLine('netplumb, addrGenMode none on both veth ends', quiet.costs);
  // Where the time goes, measured on the worker thread (plan.run({ timings: true })).
  growth.netplumbSteps = Object.fromEntries(quiet.ops.map((op, k) => [`${k}:${op}`, growthLine(`  ${op}`, quiet.steps.map((s) => s[k]))]));
  if (baseline) {
    await settle();
    const cl = runBaseline(30000, GROWTH, 'steps');
    growth.c = growthLine('C in-process, same steps', cl.map((l) => l[0]));
    growth.cSteps = Object.fromEntries(C_STEPS.map((name, k) => [name, growthLine(`  ${name}`, cl.map((l) => l[k + 1]))]));
  }
  if (MODEL) {
    await settle();
    const cold = await modelGrowth(GROWTH, false);
    growth.engine = growthLine('Engine, cold (one published port each)', cold.costs);
    growth.engineSteps = Object.fromEntries(cold.ops.map((op, k) => [`${k}:${op}`, growthLine(`  ${op}`, cold.steps.map((s) => s[k]))]));
    await settle();
    const pooled = await modelGrowth(GROWTH, true);
    growth.pool = growthLine('Engine, from the warm pool', pooled.costs);
    growth.poolSteps = Object.fromEntries(pooled.ops.map((op, k) => [`${k}:${op}`, growthLine(`  ${op}`, pooled.steps.map((s) => s[k]))]));
    growth.remove = { cold: cold.remove, pooled: pooled.remove };
    console.log(`  Engine remove, median over all ${GROWTH}: cold ${fmt(cold.remove)} ms, pooled ${fmt(pooled.remove)} ms`);
  }
  if (WITHOUT) growth.without = growthLine('netplumb, without addrGenMode none', (await netplumbGrowth(40000, false)).costs);
}

let model;
if (MODEL) {
  await settle();
  model = await modelEndpoint(N);
  const cRow = rows.find((r) => r.name.startsWith('C in-process'));
  const mrows = [...model.rows, ...(cRow ? [{ ...cRow, name: 'C in-process, no port (kernel floor)' }] : [])];
  table(`Docker model endpoint with one published port, median of ${N}, round-robin (teardown ${LAG} rounds after set-up)`, mrows);
  const [prim, cold, pool] = model.rows;
  console.log('  CPU time of this process (all threads, system calls included), ms: ' + model.rows.map((r) => `${r.name} ${fmt(r.setupCpu)} + ${fmt(r.teardownCpu)}`).join('; '));
  console.log(`  Engine cold ÷ primitives: set up ${(cold.setup / prim.setup).toFixed(2)}×, tear down ${(cold.teardown / prim.teardown).toFixed(2)}× (issue 14: ≤1.2× each); in CPU time ${(cold.setupCpu / prim.setupCpu).toFixed(2)}× and ${(cold.teardownCpu / prim.teardownCpu).toFixed(2)}×`);
  console.log(`  Engine from the pool: set up ${fmt(pool.setup)} ms (issue 14: ≤0.3 ms)${cRow ? `, ${(pool.setup / cRow.setup).toFixed(2)}× the C reference's cold set up` : ''}`);
  if (baseline) {
    // The pool's floor: the C program's same kernel steps on a pair made ready as the pool makes it (no port element).
    await settle();
    const ready = runBaseline(55000, N, 'ready');
    model.cReady = { setup: median(ready.map((l) => l[0])), up: median(ready.map((l) => l[1])), addrRoute: median(ready.map((l) => l[2])) };
    console.log(
      `  C in-process from a ready pair (the pool's kernel floor, no port element): ${fmt(model.cReady.setup)} ms (sandbox end up ${fmt(model.cReady.up)}, address and route ${fmt(model.cReady.addrRoute)}); the Engine from the pool ${(pool.setup / model.cReady.setup).toFixed(2)}× that`,
    );
  }
  console.log(`  Engine remove back to back with its create (the kernel still references the namespace): ${fmt(model.backToBackRemove)} ms`);
}

let concurrent;
if (CONCURRENT) {
  concurrent = await concurrency({ N: 2 * N, baseline, bridge: 'br0', settle, cSteps: C_STEPS });
  console.log(`\nOne caller against two, ${2 * N} endpoints (sandboxes per second; per-call medians on the worker threads, ms)`);
  for (const [name, r] of Object.entries(concurrent)) {
    if (!r[1]) continue;
    console.log(`  ${name}`.padEnd(14) + `1 caller ${r[1].rate.toFixed(0)}/s, 2 callers ${r[2].rate.toFixed(0)}/s: ${(r[2].rate / r[1].rate).toFixed(2)}×`);
    if (r[1].steps) for (const k of Object.keys(r[1].steps)) console.log(`    ${k.split(':')[1]}`.padEnd(26) + `${fmt(r[1].steps[k])} → ${fmt(r[2].steps[k])}`);
  }
}
if (baseline) rmSync(baseline, { force: true });
console.log(`\nload average at the end ${load()}`);

export const results = { load: { start: loadStart, end: loadavg() }, rows, growth, model, concurrent };
console.log('JSON ' + JSON.stringify(results));
