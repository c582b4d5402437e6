// One bridge endpoint — a named namespace, a veth pair with its peer inside
// as eth0, the host end on the bridge, an address, lo up, a default route —
// set up and torn down N times by netplumb (one plan per endpoint), by one
// `ip` process per step, and by `ip -batch` (one for the host side, one for
// the namespace side). Then 1,000 endpoints on one bridge with netplumb, to
// show the per-endpoint cost does not grow. Run inside scripts/sandbox.
import { Netns, Plan } from '../dist/index.js';
import { assertSandbox, median, now, run, table, fmt } from './lib/stats.mjs';

assertSandbox();
const N = Number(process.env.BENCH_ENDPOINTS ?? 100);
const GROWTH = Number(process.env.BENCH_GROWTH ?? 1000);
const host = Netns.host();

const ip4 = (i) => `172.${18 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`;
const endpointAddr = (i) => ip4(i + 2);

async function makeBridge() {
  await host.exec([
    { op: 'link.add', args: { kind: 'bridge', name: 'br0', up: true, addrGenMode: 'none' } },
    { op: 'addr.add', args: { dev: 'br0', address: '172.18.0.1/16' } },
  ]);
}

// netplumb: one plan, one trip to the addon, per endpoint.
async function netplumbSetup(i) {
  const plan = new Plan(null);
  const ns = plan.add({ op: 'netns.create', args: { name: `np${i}` } });
  // A network without IPv6 should not pay for IPv6: devices made in this namespace start without it.
  plan.add({ op: 'sysctl.set', args: { key: 'net.ipv6.conf.default.disable_ipv6', value: 1 } }, ns);
  plan.add({ op: 'link.set', args: { name: 'lo', up: true } }, ns);
  plan.add({
    op: 'link.add',
    args: { kind: 'veth', name: `vnp${i}`, master: 'br0', up: true, addrGenMode: 'none', peer: { name: 'eth0', netns: ns, up: true } },
  });
  plan.add({ op: 'addr.add', args: { dev: 'eth0', address: `${endpointAddr(i)}/16` } }, ns);
  plan.add({ op: 'route.add', args: { destination: 'default', gateway: '172.18.0.1' } }, ns);
  const [handle] = await plan.run();
  return handle;
}
async function netplumbTeardown(i, handle) {
  handle.close();
  await host.exec([{ op: 'netns.delete', args: { name: `np${i}` } }]);
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

await makeBridge();
// Warm up the addon's threads and sockets.
await netplumbTeardown(60000, await netplumbSetup(60000));

const rows = [
  await measure('netplumb (one plan)', netplumbSetup, netplumbTeardown, 0),
  await measure('ip, one process per step', ipSetup, ipTeardown, 1000),
  await measure('ip -batch (host + netns)', batchSetup, batchTeardown, 2000),
];
table(`One bridge endpoint, median of ${N} (set up, then torn down)`, rows);

// Growth: GROWTH endpoints kept on one bridge; compare the first and last hundred.
const handles = [];
const costs = [];
for (let i = 0; i < GROWTH; i++) {
  const t0 = now();
  handles.push(await netplumbSetup(10000 + i));
  costs.push(now() - t0);
}
const first = median(costs.slice(0, 100));
const last = median(costs.slice(-100));
console.log(`\n${GROWTH} endpoints on one bridge with netplumb: first 100 median ${fmt(first)} ms, last 100 median ${fmt(last)} ms, ratio ${(last / first).toFixed(2)}×`);
for (let i = 0; i < GROWTH; i++) await netplumbTeardown(10000 + i, handles[i]);

export const results = { rows, growth: { first, last } };
