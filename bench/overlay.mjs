// The overlay's control plane and data plane, measured in one run.
//
// 1. One host's view of a K-host overlay (flannel's vxlan shape: per remote
//    host a route via its VTEP address onlink, a permanent neighbour and a
//    permanent FDB entry; past the agent's NEXTHOP_THRESHOLD (500) hosts the routes go through nexthop
//    objects, and both layouts are measured). Programming K remote hosts from an empty VXLAN device in one
//    rtnl.apply, and one host joining or leaving once K are there (the 3
//    objects of one remote host), as the cluster agent computes and applies
//    them; against `ip -batch` + `bridge -batch` doing the same objects.
//    "kernel" is the rtnl.apply call's time on the addon's worker thread;
//    "total" adds computing the diff in JS and the trip across the addon.
// 2. Cross-host TCP between two sandboxes through the overlay against the
//    same between the two hosts over their direct veth path (the
//    encapsulation's cost): connect latency and throughput. Reported, not
//    asserted.
//
// Run inside the sandbox after building:
//   npm run build:ts && scripts/sandbox node bench/overlay.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Engine, Netns, addrCalls, connectTcp, linkCalls, listenTcp, rtnlCalls } from '../dist/index.js';
import { NEXTHOP_THRESHOLD, desiredObjects, diffObjects, emptyObjects, peerChanges } from '../dist/model/networks/drivers/overlay/peers.js';
import { vtepAddress, vtepMac } from '../dist/model/networks/drivers/overlay/device.js';
import { assertSandbox, fmt, median, now, run } from './lib/stats.mjs';

assertSandbox();
const SIZES = (process.env.BENCH_OVERLAY_HOSTS ?? '1000,10000').split(',').map(Number);
// Past the agent's threshold both layouts are measured: what it does, and what it would cost without nexthops.
const THRESHOLD = NEXTHOP_THRESHOLD;
const EVENTS = Number(process.env.BENCH_OVERLAY_EVENTS ?? 21);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTS = Number(process.env.BENCH_CONNECTS ?? 300);
const MB = Number(process.env.BENCH_OVERLAY_MB ?? 64);
const CLUSTER = '10.128.0.0/9';

// --- 1. control plane --------------------------------------------------------
const NS = 'bo-host';
const host = await Netns.create({ name: NS });
await host.exec([
  linkCalls.addVeth({ name: 'ul0', up: true, peer: { name: 'ul1', up: true } }),
  addrCalls.add({ dev: 'ul0', address: '198.18.0.1/15' }),
]);
const makeVx = () => host.exec([linkCalls.addVxlan({ name: 'vx0', vni: 1, local: '198.18.0.1', port: 4789, learning: false, up: true, readBack: false })]);
const dropVx = () => host.exec([linkCalls.delete('vx0')]);

const subnetOf = (i) => `10.${128 + (i >> 8)}.${i & 255}.0/24`;
const peer = (i) => ({ hostId: `h${i}`, underlay: `198.18.${1 + (i >> 8)}.${i & 255}`, vtepMac: vtepMac(subnetOf(i)), subnet: subnetOf(i), vni: 1 });
const layout = (k) => ({ clusterSubnet: CLUSTER, nexthopSlot: 1, useNexthops: k > THRESHOLD });

/** One rtnl.apply of `changes()`: worker time, and total time with the changes computed in JS as the agent does. */
async function applyChanges(changes) {
  const t0 = now();
  const list = changes();
  const { timings } = await host.exec([rtnlCalls.apply(list)], { timings: true });
  return { kernel: timings[0], total: now() - t0, count: list.length };
}

function ipLines(peers, nexthops) {
  const lines = [];
  for (const [n, p] of peers.entries()) {
    const v = vtepAddress(p.subnet);
    if (nexthops) lines.push(`nexthop add id ${16777217 + n} via ${v} dev vx0 onlink`, `route add ${p.subnet} nhid ${16777217 + n}`);
    else lines.push(`route add ${p.subnet} via ${v} dev vx0 onlink`);
    lines.push(`neigh add ${v} lladdr ${p.vtepMac} dev vx0 nud permanent`);
  }
  return lines.join('\n') + '\n';
}
const bridgeLines = (peers) => peers.map((p) => `fdb add ${p.vtepMac} dev vx0 dst ${p.underlay} self permanent`).join('\n') + '\n';
const ipBatch = (input) => run('ip', ['-n', NS, '-batch', '-'], input);
const bridgeBatch = (input) => run('bridge', ['-n', NS, '-batch', '-'], input);

const results = [];
for (const k of SIZES) {
  for (const nexthops of k > THRESHOLD ? [true, false] : [false]) {
    const lay = { ...layout(k), useNexthops: nexthops };
    const peers = Array.from({ length: k }, (_, i) => peer(i + 1));
    const all = new Map(peers.map((p) => [p.subnet, p]));
    const without = new Map(all);
    without.delete(peers[k - 1].subnet);
    const touched = [peers[k - 1].subnet];
    const r = { k, nexthops, fill: { kernel: [], total: [], tools: [] }, event: { kernel: [], total: [], tools: [] }, perHost: 0 };
    for (let run_ = 0; run_ < RUNS; run_++) {
      await makeVx();
      // From nothing: the agent's full sync (the kernel read is not part of it here).
      const f = await applyChanges(() => diffObjects('vx0', emptyObjects(), desiredObjects(peers, lay)));
      r.fill.kernel.push(f.kernel);
      r.fill.total.push(f.total);
      r.perHost = f.count / k;
      // One remote host leaves, then joins again: the 3 (4 with nexthops) objects of one host, from the touched record alone.
      for (let e = 0; e < EVENTS; e++) {
        const x = await applyChanges(() => peerChanges('vx0', lay, e % 2 === 0 ? all : without, e % 2 === 0 ? without : all, touched));
        r.event.kernel.push(x.kernel);
        r.event.total.push(x.total);
      }
      await dropVx();
      await makeVx();
      const t0 = now();
      ipBatch(ipLines(peers, nexthops));
      bridgeBatch(bridgeLines(peers));
      r.fill.tools.push(now() - t0);
      const last = peers[peers.length - 1];
      const lastLines = ipLines([last], nexthops).replace(/id 16777217/g, `id ${16777216 + k}`).replace(/nhid 16777217/, `nhid ${16777216 + k}`);
      // Deletes name the object only (the kernel refuses a nexthop delete that carries its gateway).
      const delLines = lastLines.split('\n').filter(Boolean).reverse()
        .map((l) => l.replace(/^nexthop add (id \d+).*/, 'nexthop del $1').replace(/^neigh add (\S+) lladdr \S+ (dev \S+).*/, 'neigh del $1 $2').replace(/^route add/, 'route del'))
        .join('\n') + '\n';
      const fdbLine = bridgeLines([last]);
      for (let e = 0; e < EVENTS; e++) {
        const t1 = now();
        if (e % 2 === 0) {
          ipBatch(delLines);
          bridgeBatch(fdbLine.replace('fdb add', 'fdb del'));
        } else {
          ipBatch(lastLines);
          bridgeBatch(fdbLine);
        }
        r.event.tools.push(now() - t1);
      }
      await dropVx();
    }
    results.push(r);
  }
}

// --- 2. data plane -----------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'np-bench-overlay-'));
const ul = await Netns.create({ name: 'bo-ul' });
await ul.exec([linkCalls.addBridge({ name: 'ul', up: true, addrGenMode: 'none' })]);
const hosts = [];
for (const i of [1, 2]) {
  const h = await Netns.create({ name: `bo-h${i}` });
  await ul.exec([linkCalls.addVeth({ name: `p${i}`, master: 'ul', up: true, addrGenMode: 'none', peer: { name: 'eth0', netns: h, up: true, addrGenMode: 'none' } })]);
  await h.exec([addrCalls.add({ dev: 'eth0', address: `192.0.2.${10 + i}/24` })]);
  hosts.push(h);
}
const engines = [];
for (const [i, h] of hosts.entries())
  engines.push(await Engine.open({ host: h, stateDir: join(dir, `h${i}`), dns: false, cluster: { store: `dir://${dir}/store`, advertiseAddr: `192.0.2.${11 + i}`, pollMs: 50 } }));
await engines[0].networks.create({ name: 'bo', driver: 'overlay', subnet: '10.99.0.0/16' });
while (!engines[1].cluster.networks.bo) await new Promise((r) => setTimeout(r, 50));
const s1 = await engines[0].sandboxes.create({ name: 'bo-s1', network: 'bo' });
const s2 = await engines[1].sandboxes.create({ name: 'bo-s2', network: 'bo' });
const ns1 = await Netns.open({ path: s1.netnsPath });
const ns2 = await Netns.open({ path: s2.netnsPath });
while (engines[0].cluster.peerChanges < 3 || engines[1].cluster.peerChanges < 3) await new Promise((r) => setTimeout(r, 50));

async function tcpPath(fromNs, toNs, address) {
  const server = await listenTcp(toNs, { address: '0.0.0.0', port: 7100 }, (s) => {
    const h = createHash('sha1');
    let n = 0;
    s.on('data', (d) => { n += d.length; h.update(d); });
    s.on('end', () => s.end(String(n)));
    s.on('error', () => undefined);
  });
  const connects = [];
  for (let i = 0; i < CONNECTS; i++) {
    const t0 = now();
    const s = await connectTcp(fromNs, { host: address, port: 7100 });
    connects.push(now() - t0);
    s.destroy();
  }
  const rates = [];
  const chunk = Buffer.alloc(1 << 20, 7);
  for (let r = 0; r < RUNS; r++) {
    const s = await connectTcp(fromNs, { host: address, port: 7100 });
    const done = new Promise((resolve) => { let got = ''; s.on('data', (d) => (got += d)); s.on('close', () => resolve(got)); });
    const t0 = now();
    for (let m = 0; m < MB; m++) if (!s.write(chunk)) await new Promise((res) => s.once('drain', res));
    s.end();
    const got = await done;
    if (Number(got) !== MB * chunk.length) throw new Error(`throughput run received ${got} bytes`);
    rates.push((MB * chunk.length * 8) / ((now() - t0) / 1000) / 1e9);
  }
  server.close();
  return { connect: median(connects), gbps: median(rates) };
}
const overlay = await tcpPath(ns1, ns2, s2.networks[0].ipv4);
const direct = await tcpPath(hosts[0], hosts[1], '192.0.2.12');

ns1.close();
ns2.close();
await engines[0].sandboxes.remove('bo-s1');
await engines[1].sandboxes.remove('bo-s2');
// The other host's sandbox leaves the store a moment after its removal: until then the network is in use.
for (let tries = 0; ; tries++) {
  try {
    await engines[0].networks.remove('bo');
    break;
  } catch (e) {
    if (e.reason !== 'in-use' || tries > 100) throw e;
    await new Promise((r) => setTimeout(r, 50));
  }
}
for (const e of engines) await e.close();
for (const h of hosts) await h.delete();
await ul.delete();
await host.delete();
rmSync(dir, { recursive: true, force: true });

// --- report ------------------------------------------------------------------
console.log(`\nOne host's view of a K-host overlay (median of ${RUNS} runs; events: median of ${EVENTS * RUNS} joins and leaves of one host)`);
console.log('  remote hosts   routes via      objects/host'.padEnd(48) + 'fill kernel ms'.padStart(15) + 'fill total ms'.padStart(15) + 'ip+bridge -batch ms'.padStart(21) + '  ratio' + 'event kernel ms'.padStart(17) + 'event total ms'.padStart(16) + 'ip+bridge ms'.padStart(14) + '  ratio');
for (const r of results) {
  const fk = median(r.fill.kernel), ft = median(r.fill.total), fx = median(r.fill.tools);
  const ek = median(r.event.kernel), et = median(r.event.total), ex = median(r.event.tools);
  console.log(
    `  ${String(r.k).padEnd(15)}${(r.nexthops ? 'nexthop objects' : 'own gateways').padEnd(16)}${String(r.perHost).padEnd(15)}`.padEnd(48) +
      fmt(fk).padStart(15) + fmt(ft).padStart(15) + fmt(fx).padStart(21) + `  ${(fx / ft).toFixed(1)}×`.padEnd(7) +
      fmt(ek).padStart(17) + fmt(et).padStart(16) + fmt(ex).padStart(14) + `  ${(ex / et).toFixed(1)}×`,
  );
}
console.log(`\nCross-host TCP, two hosts on one underlay bridge (connect: median of ${CONNECTS}; throughput: median of ${RUNS} runs of ${MB} MB)`);
console.log('  path'.padEnd(44) + 'connect ms'.padStart(12) + 'Gbit/s'.padStart(10));
console.log('  sandbox → sandbox through the overlay'.padEnd(44) + fmt(overlay.connect).padStart(12) + overlay.gbps.toFixed(2).padStart(10));
console.log('  host → host over the underlay veth'.padEnd(44) + fmt(direct.connect).padStart(12) + direct.gbps.toFixed(2).padStart(10));
console.log(`  overlay / direct: connect ${(overlay.connect / direct.connect).toFixed(2)}×, throughput ${(overlay.gbps / direct.gbps).toFixed(2)}×`);
