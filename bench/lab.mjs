// netplumb/testing: what a lab costs a test, and what a process started in
// a sandbox costs, against the tools in the same run. Run inside scripts/sandbox
// (npm run build:ts && scripts/sandbox node bench/lab.mjs).
//   world: Lab.open (its own host namespace, an outside, one network) + two
//     sandboxes + close() (everything taken down), against the same network
//     and sandboxes made by a bare Engine on the sandbox's own namespace and
//     removed again (what a test did before labs, sharing one world).
//   exec: `true` run in a sandbox by lab.exec (setpriv, nsenter, unshare and
//     the bind mounts of hosts and resolv.conf), by `ip netns exec` (iproute2
//     does the same in one process), and by bare `nsenter --net` (the floor).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, Netns } from '../dist/index.js';
import { Lab } from '../dist/testing/index.js';
import { assertSandbox, fmt, median, now, run } from './lib/stats.mjs';

assertSandbox();
const N = Number(process.env.BENCH_LABS ?? 20);
const EXECS = Number(process.env.BENCH_EXECS ?? 50);

const lab = { open: [], sandboxes: [], close: [] };
const bare = { open: [], sandboxes: [], close: [] };
for (let i = 0; i < N; i++) {
  let t = now();
  const l = await Lab.open({ networks: { app: { subnet: '10.123.0.0/24' } }, outside: true });
  lab.open.push(now() - t);
  t = now();
  await l.sandbox('a');
  await l.sandbox('b');
  lab.sandboxes.push(now() - t);
  t = now();
  await l.close();
  lab.close.push(now() - t);

  // On the sandbox's tmpfs, as the labs' state is: the same file system for both.
  const stateDir = mkdtempSync(join('/run/netplumb', 'bench-lab-'));
  t = now();
  const e = await Engine.open({ stateDir, etcDir: join(stateDir, 'etc') });
  await e.networks.create({ name: 'app', subnet: '10.123.0.0/24' });
  bare.open.push(now() - t);
  t = now();
  await e.sandboxes.create({ name: 'a', network: 'app' });
  await e.sandboxes.create({ name: 'b', network: 'app' });
  bare.sandboxes.push(now() - t);
  t = now();
  await e.sandboxes.remove('a');
  await e.sandboxes.remove('b');
  await e.networks.remove('app');
  await e.close();
  bare.close.push(now() - t);
  rmSync(stateDir, { recursive: true, force: true });
}

const row = (name, r, base) => {
  const total = median(r.open) + median(r.sandboxes) + median(r.close);
  const ratio = base ? `${(total / (median(base.open) + median(base.sandboxes) + median(base.close))).toFixed(1)}×` : '';
  console.log(`  ${name}`.padEnd(52) + [r.open, r.sandboxes, r.close].map((x) => fmt(median(x)).padStart(13)).join('') + fmt(total).padStart(10) + `  ${ratio}`);
};
console.log(`\nA world per test, median of ${N} (ms)`);
console.log('  '.padEnd(52) + 'open'.padStart(13) + '2 sandboxes'.padStart(13) + 'teardown'.padStart(13) + 'total'.padStart(10) + '  vs engine');
row('bare Engine: network, sandboxes, removed again', bare);
row('Lab: own host + outside + network, close()', lab, bare);

// A process in a sandbox.
const l = await Lab.open({ networks: { app: { subnet: '10.123.0.0/24' } } });
const s = await l.sandbox('a');
const info = await s.inspect();
const ns = await Netns.create({ name: 'bench-ipexec' });
const times = { lab: [], ip: [], nsenter: [] };
for (let i = 0; i < EXECS; i++) {
  let t = now();
  await s.exec(['true']);
  times.lab.push(now() - t);
  t = now();
  run('ip', ['netns', 'exec', 'bench-ipexec', 'true']);
  times.ip.push(now() - t);
  t = now();
  run('nsenter', [`--net=${info.netnsPath}`, '--', 'true']);
  times.nsenter.push(now() - t);
}
await ns.delete();
await l.close();
console.log(`\nA process in a sandbox (\`true\`), median of ${EXECS} (ms)`);
const floor = median(times.nsenter);
for (const [name, xs] of [['nsenter --net (the floor: one setns, one exec)', times.nsenter], ['ip netns exec (setns, mount namespace, /sys)', times.ip], ['lab exec (setpriv, nsenter, unshare, sh, 2 binds)', times.lab]])
  console.log(`  ${name}`.padEnd(52) + fmt(median(xs)).padStart(10) + `  ${(median(xs) / floor).toFixed(1)}×`);
