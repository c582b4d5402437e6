// One bridge endpoint — a named namespace with lo up, a veth pair with its
// peer inside as eth0, the host end on the bridge, an address, a default
// route — set up and torn down N times by netplumb (one plan per endpoint),
// by a C program doing the same in-process (bench/baseline/endpoint.c: the
// kernel's floor on this machine), by one `ip` process per step, and by
// `ip -batch` (one for the host side, one for the namespace side). Then
// GROWTH endpoints kept on one bridge, by netplumb with and without the
// IPv6-less options and by the C program, comparing the first and last
// hundred. Run inside scripts/sandbox.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Netns, Plan, linkCalls, netnsCalls, addrCalls, routeCalls } from '../dist/index.js';
import { assertSandbox, have, median, now, run, table, fmt } from './lib/stats.mjs';

assertSandbox();
const N = Number(process.env.BENCH_ENDPOINTS ?? 100);
const GROWTH = Number(process.env.BENCH_GROWTH ?? 1000);
// BENCH_WITHOUT=0 skips the growth run without the IPv6-less options (the slow one).
const WITHOUT = process.env.BENCH_WITHOUT !== '0';
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

// The C program times itself: one line per endpoint, "setup_ms [teardown_ms]".
function runBaseline(first, count, mode) {
  const out = run(baseline, ['br0', String(first), String(count), mode]);
  return out.trim().split('\n').map((l) => l.split(' ').map(Number));
}

// The kernel removes a namespace's veth in the background; let it finish
// before the next measurement so that one run's cleanup does not bill the next.
async function settle() {
  for (let k = 0; k < 600; k++) {
    const [ports] = await host.exec([linkCalls.list({ master: 'br0' })]);
    if (ports.length === 0) return;
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

console.log(`\n${GROWTH} endpoints on one bridge, set-up ms per endpoint`);
console.log('  '.padEnd(46) + `first ${H}`.padStart(9) + `last ${H}`.padStart(9) + 'ratio'.padStart(8));
const quiet = await netplumbGrowth(10000, true);
const growth = { netplumb: growthLine('netplumb, addrGenMode none on both veth ends', quiet.costs) };
// Where the time goes, measured on the worker thread (plan.run({ timings: true })).
quiet.ops.forEach((op, k) => growthLine(`  ${op}`, quiet.steps.map((s) => s[k])));
if (baseline) {
  await settle();
  growth.c = growthLine('C in-process, same steps', runBaseline(30000, GROWTH, 'keep').map((l) => l[0]));
}
if (WITHOUT) growth.without = growthLine('netplumb, without addrGenMode none', (await netplumbGrowth(40000, false)).costs);
if (baseline) rmSync(baseline, { force: true });

export const results = { rows, growth };
