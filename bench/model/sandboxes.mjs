// Issue 4: 1,000 sandboxes on one network (BENCH_SANDBOXES). The median
// attach of the last hundred against the first hundred (the issue wants
// ≤1.5×), then all of them removed, with the median detach. Each attach and
// detach is split into kernel plans, state documents, the state lock and the
// rest (JS), per hundred, with the size of the network's IPAM document, so
// that growth can be traced to its part. BENCH_PUBLISH=1 gives every sandbox
// one published port (host ports 20000 + i), which adds the port index and
// the firewall map to what can grow.
//
// Run inside the sandbox: npm run build:ts && scripts/sandbox node bench/model/sandboxes.mjs
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertSandbox, fmt, median, now } from '../lib/stats.mjs';
import { machineLine, modelClock, openEngine } from './common.mjs';

assertSandbox();
const COUNT = Number(process.env.BENCH_SANDBOXES ?? 1000);
const PUBLISH = process.env.BENCH_PUBLISH === '1';
const BLOCK = Math.min(100, Math.max(1, Math.floor(COUNT / 10)));

const clock = modelClock();
const engine = await openEngine('sandboxes');
const net = await engine.networks.create({ name: 'bench', subnet: '172.20.0.0/16' });
const ipamDir = join(engine.stateDirs.runtime, 'ipam', net.Id);
const ipamEntries = () => { try { return readdirSync(ipamDir).length; } catch { return 0; } };
// Published ports are one document per host port: what a create reads and writes stays one document's size.
const portsDir = join(engine.stateDirs.runtime, 'ports');
const portDocs = () => { try { return readdirSync(portsDir).length; } catch { return 0; } };

// Warm-up: one sandbox made and removed, so the first timed one does not pay for first use.
await engine.sandboxes.create({ name: 'warm', network: 'bench' });
await engine.sandboxes.remove('warm');

const sample = () => ({ kernel: clock.kernel, state: clock.state, lock: clock.lock });
const attach = [];

for (let i = 0; i < COUNT; i++) {
  clock.reset();
  const t0 = now();
  await engine.sandboxes.create({ name: `s${i}`, network: 'bench', ...(PUBLISH ? { publish: [`${20000 + i}:80`] } : {}) });
  const ms = now() - t0;
  attach.push({ ms, ...sample(), ipamDocs: ipamEntries(), portDocs: portDocs() });
}
const detach = [];
for (let i = 0; i < COUNT; i++) {
  clock.reset();
  const t0 = now();
  await engine.sandboxes.remove(`s${i}`);
  const ms = now() - t0;
  detach.push({ ms, ...sample(), ipamDocs: ipamEntries(), portDocs: portDocs() });
}
await engine.networks.remove('bench');

function blocks(rows) {
  const out = [];
  for (let i = 0; i < rows.length; i += BLOCK) {
    const b = rows.slice(i, i + BLOCK);
    const med = (k) => median(b.map((r) => r[k]));
    const other = median(b.map((r) => r.ms - r.kernel - r.state - r.lock));
    out.push({ from: i + 1, to: i + b.length, ms: med('ms'), kernel: med('kernel'), state: med('state'), lock: med('lock'), other, ipamDocs: b[b.length - 1].ipamDocs, portDocs: b[b.length - 1].portDocs });
  }
  return out;
}
function print(title, bs) {
  console.log(`\n${title}`);
  console.log('  sandboxes'.padEnd(16) + 'median'.padStart(9) + 'kernel'.padStart(9) + 'state'.padStart(9) + 'lock'.padStart(9) + 'JS'.padStart(9) + 'ipam docs'.padStart(11) + (PUBLISH ? 'port docs'.padStart(11) : ''));
  for (const b of bs)
    console.log(`  ${b.from}–${b.to}`.padEnd(16) + fmt(b.ms).padStart(9) + fmt(b.kernel).padStart(9) + fmt(b.state).padStart(9) + fmt(b.lock).padStart(9) + fmt(b.other).padStart(9) + `${b.ipamDocs}`.padStart(11) + (PUBLISH ? `${b.portDocs}`.padStart(11) : ''));
}

const a = blocks(attach);
const d = blocks(detach);
console.log(`\n${COUNT} sandboxes on one network${PUBLISH ? ', one published port each' : ''} (ms, medians per ${BLOCK}; kernel = plans, state = JSON documents, lock = state lock, JS = the rest)`);
console.log(`  ${machineLine()}`);
print('attach (sandboxes.create), in order of creation', a);
print('detach (sandboxes.remove), in order of creation', d);

const first = a[0], last = a[a.length - 1];
const ratio = last.ms / first.ms;
const part = (k) => (last[k] - first[k]);
console.log(`\n  attach: first ${BLOCK} median ${fmt(first.ms)} ms, last ${BLOCK} median ${fmt(last.ms)} ms, ratio ${ratio.toFixed(2)}× (issue 4: ≤1.5× → ${ratio <= 1.5 ? 'met' : 'NOT met'})`);
console.log(`  growth by part (last − first, ms): kernel ${fmt(part('kernel'))}, state ${fmt(part('state'))}, lock ${fmt(part('lock'))}, JS ${fmt(part('other'))}`);
const allDetach = median(detach.map((r) => r.ms));
console.log(`  detach: median of all ${COUNT} ${fmt(allDetach)} ms; first ${BLOCK} ${fmt(d[0].ms)} ms, last ${BLOCK} ${fmt(d[d.length - 1].ms)} ms`);

await engine.close();
const r2 = (v) => Number(v.toFixed(2));
const strip = (b) => ({ from: b.from, to: b.to, ms: r2(b.ms), kernel: r2(b.kernel), state: r2(b.state), lock: r2(b.lock), js: r2(b.other), ipamDocs: b.ipamDocs, ...(PUBLISH ? { portDocs: b.portDocs } : {}) });
console.log('\nJSON ' + JSON.stringify({
  bench: 'model/sandboxes', sandboxes: COUNT, publish: PUBLISH,
  attach: { first: r2(first.ms), last: r2(last.ms), ratio: r2(ratio) },
  detach: { median: r2(allDetach), first: r2(d[0].ms), last: r2(d[d.length - 1].ms) },
  blocks: { attach: a.map(strip), detach: d.map(strip) },
}));
