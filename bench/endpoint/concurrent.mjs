// Two callers at once against one (issue 14): sandboxes per second when N
// endpoints are made by one caller, and by two callers making N/2 each at the
// same time; by the C reference (two processes), by the primitives (two
// async loops over the addon's two worker threads) and by the Engine (two
// async loops over one engine). The per-call timings, measured on the worker
// threads, show where two callers wait for each other: a step that takes
// twice as long with two callers ran under a lock the other held.
import { spawn } from 'node:child_process';
import { median, now } from '../lib/stats.mjs';
import { openBenchEngine, planTimings, primitivePlan, primitiveTeardown, SUBNET } from './model.mjs';

/** The C reference in `steps` mode in `procs` processes at once, N endpoints in all: the setup phase's endpoints per second, and its steps. */
async function cRate(baseline, bridge, N, procs, first, names) {
  const runOne = (from, count) =>
    new Promise((resolve, reject) => {
      const child = spawn(baseline, [bridge, String(from), String(count), 'steps']);
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').map((l) => l.split(' ').map(Number))) : reject(new Error(`baseline exited ${code}: ${err}`))));
    });
  const each = N / procs;
  const lines = await Promise.all(Array.from({ length: procs }, (_, k) => runOne(first + k * each, each)));
  // The processes overlap: the setup phase lasts as long as the slowest process's sum.
  const wall = Math.max(...lines.map((l) => l.reduce((a, b) => a + b[0], 0)));
  const all = lines.flat();
  return { rate: (N / wall) * 1000, steps: Object.fromEntries(names.map((name, k) => [`${k}:${name}`, median(all.map((l) => l[k + 1]))])) };
}

/** `callers` async loops making N endpoints in all with `make(i)`; wall time of the making only. */
async function jsRate(N, callers, make) {
  let next = 0;
  const loop = async () => {
    for (let i = next++; i < N; i = next++) await make(i);
  };
  const t0 = now();
  await Promise.all(Array.from({ length: callers }, loop));
  return (N / (now() - t0)) * 1000;
}

function stepMedians(byPlan, pick) {
  const entry = [...byPlan].find(([k]) => pick(k));
  if (!entry) return {};
  const ops = entry[0].split(',');
  return Object.fromEntries(ops.map((op, i) => [`${i}:${op}`, median(entry[1].map((t) => t[i]))]));
}

export async function concurrency({ N, baseline, bridge, settle, cSteps }) {
  const out = { c: {}, primitives: {}, engine: {} };
  for (const callers of [1, 2]) {
    if (baseline) {
      await settle();
      out.c[callers] = await cRate(baseline, bridge, N, callers, 40000 + callers * 5000, cSteps); // its addresses stay inside 172.18.0.0/16
    }
  }
  const engine = await openBenchEngine('concurrent');
  const net = await engine.networks.create({ name: 'bench', subnet: SUBNET });
  const netBridge = net.Options['com.docker.network.bridge.name'];
  const timings = planTimings();
  try {
    for (const callers of [1, 2]) {
      await settle();
      timings.reset();
      const base = 60000 + callers * 5000;
      const rate = await jsRate(N, callers, async (i) => (await primitivePlan(base + i, netBridge).run())[0].close());
      out.primitives[callers] = { rate, steps: stepMedians(timings.byPlan, (k) => k.includes('addr.add')) };
      for (let i = 0; i < N; i++) await primitiveTeardown(base + i).run();
      await settle();
      timings.reset();
      const rateE = await jsRate(N, callers, (i) => engine.sandboxes.create({ name: `k${callers}-${i}`, network: 'bench', publish: [`${20000 + callers * 2000 + i}:80`] }));
      out.engine[callers] = { rate: rateE, steps: stepMedians(timings.byPlan, (k) => k.includes('addr.add')) };
      for (let i = 0; i < N; i++) await engine.sandboxes.remove(`k${callers}-${i}`);
    }
  } finally {
    timings.restore();
    await engine.networks.remove('bench');
    await engine.close();
  }
  return out;
}
