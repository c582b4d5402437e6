// Issue 4: one sandbox publishing 1,000 ports (-p 10000-10999:10000-10999)
// against the same sandbox without ports: attach and detach medians, same
// run, alternating (BENCH_ITER rounds, default 10; BENCH_PORTS, default
// 1000). Then one such sandbox is kept and a TCP server in it on container
// port 10500 is reached from a "wan" namespace through the host's address.
//
// Run inside the sandbox: npm run build:ts && scripts/sandbox node bench/model/ports.mjs
import { assertSandbox, fmt, median, now } from '../lib/stats.mjs';
import { HOST_WAN, machineLine, makeWan, modelClock, openEngine, proveTcp } from './common.mjs';

assertSandbox();
const N = Number(process.env.BENCH_ITER ?? 10);
const PORTS = Number(process.env.BENCH_PORTS ?? 1000);
const FIRST = 10000;
const range = `${FIRST}-${FIRST + PORTS - 1}`;
const PROBE = FIRST + Math.floor(PORTS / 2);

const clock = modelClock();
const wan = await makeWan();
const engine = await openEngine('ports');
await engine.networks.create({ name: 'bench', subnet: '172.20.0.0/16' });

const variants = [
  { name: 'no published port', publish: [] },
  { name: `${PORTS} published ports (${range})`, publish: [`${range}:${range}`] },
];
for (const v of variants) v.s = { attach: [], detach: [], kernelAttach: [], stateAttach: [], kernelDetach: [] };

// Warm-up, untimed.
for (const v of variants) {
  await engine.sandboxes.create({ name: 'warm', network: 'bench', publish: v.publish });
  await engine.sandboxes.remove('warm');
}
for (let i = 0; i < N; i++) {
  for (const v of variants) {
    clock.reset();
    let t0 = now();
    const info = await engine.sandboxes.create({ name: `p${i}`, network: 'bench', publish: v.publish });
    v.s.attach.push(now() - t0);
    v.s.kernelAttach.push(clock.kernel);
    v.s.stateAttach.push(clock.state + clock.lock);
    if (info.ports.length !== v.publish.length && v.publish.length === 0) throw new Error('unexpected ports');
    clock.reset();
    t0 = now();
    await engine.sandboxes.remove(`p${i}`);
    v.s.detach.push(now() - t0);
    v.s.kernelDetach.push(clock.kernel);
  }
}

// Proof: a server on container port PROBE, reached through host port PROBE from the wan namespace.
const info = await engine.sandboxes.create({ name: 'proof', network: 'bench', publish: [`${range}:${range}`] });
if (info.ports.length !== PORTS) throw new Error(`expected ${PORTS} published ports, inspect shows ${info.ports.length}`);
const ns = await engine.sandboxes.netns('proof');
const proofMs = await proveTcp({ serverNs: ns, address: info.networks[0].ipv4, containerPort: PROBE, clientNs: wan, host: HOST_WAN, hostPort: PROBE });
ns.close();
await engine.sandboxes.remove('proof');

const rows = variants.map((v) => ({
  name: v.name,
  attach: median(v.s.attach), detach: median(v.s.detach),
  kernelAttach: median(v.s.kernelAttach), stateAttach: median(v.s.stateAttach), kernelDetach: median(v.s.kernelDetach),
}));
console.log(`\nOne sandbox with and without ${PORTS} published ports, median of ${N} (ms), alternating in one run`);
console.log(`  ${machineLine()}`);
console.log('  sandbox'.padEnd(44) + 'attach'.padStart(9) + '(kernel'.padStart(9) + ' state)'.padStart(8) + 'detach'.padStart(9) + '(kernel)'.padStart(10));
for (const r of rows)
  console.log(`  ${r.name}`.padEnd(44) + fmt(r.attach).padStart(9) + fmt(r.kernelAttach).padStart(9) + fmt(r.stateAttach).padStart(8) + fmt(r.detach).padStart(9) + fmt(r.kernelDetach).padStart(10));
const [base, many] = rows;
const ratio = { attach: many.attach / base.attach, detach: many.detach / base.detach };
console.log(`\n  ${PORTS} ports ÷ none: attach ${ratio.attach.toFixed(2)}×, detach ${ratio.detach.toFixed(2)}×; per published port ${fmt(((many.attach - base.attach) / PORTS) * 1000)} µs to attach`);
console.log(`  proof: a TCP server in the sandbox on container port ${PROBE} answered a connection from the wan namespace to ${HOST_WAN}:${PROBE} (${fmt(proofMs)} ms)`);

await engine.close();
wan.close();
const r2 = (x) => Number(x.toFixed(2));
console.log('\nJSON ' + JSON.stringify({
  bench: 'model/ports', ports: PORTS, iterations: N,
  rows: Object.fromEntries(rows.map((r) => [r.name, { attach: r2(r.attach), detach: r2(r.detach), kernelAttach: r2(r.kernelAttach), stateAttach: r2(r.stateAttach), kernelDetach: r2(r.kernelDetach) }])),
  ratio: { attach: r2(ratio.attach), detach: r2(ratio.detach) },
  proof: { containerPort: PROBE, hostPort: PROBE, ok: true, ms: r2(proofMs) },
}));
