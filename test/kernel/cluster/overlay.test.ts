// Overlay networks across three hosts with etcd as the cluster store, proven
// with bytes. Each host is a network namespace on one underlay bridge with a
// Node process of its own running an Engine (what netplumbd is on a real
// host) and its own state directory; etcd (Debian's etcd-server) runs as a
// three-member cluster, one member per host, with its data under the test's
// temporary directory. The underlay bridge counts what crosses it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns } from '../../../src/index.js';
import type { NetworkInspect, SandboxInfo } from '../../../src/model/index.js';
import type { ClusterStatus } from '../../../src/model/networks/drivers/overlay/agent.js';
import { RRType, addressFromData } from '../../../src/dns/wire.js';
import { bindUdp } from '../../../src/index.js';
import { askUdp } from '../../support/dns.js';
import { ChildLib } from '../model/support/child.js';
import { exchange, serve } from '../model/support/traffic.js';
import { snapshot } from '../support/witness.js';
import { etcdPost, startEtcd, type EtcdCluster } from './support/etcd.js';
import { HostProcess } from './support/host-process.js';
import { underlay, type Underlay } from './support/underlay.js';
import { deviceObjects, eventually, ping, send, sink, udpAsk, udpEcho } from './support/witness.js';

const OV1 = { name: 'ov1', subnet: '10.244.0.0/16', vni: 100 };
const OV2 = { name: 'ov2', subnet: '10.245.0.0/16', vni: 200 };
const OV3 = { name: 'ov3', subnet: '10.246.0.0/16', vni: 300 };
const LEASE_TTL = 3;

let lib: ChildLib;
let dir: string;
let net: Underlay;
let etcd: EtcdCluster;
const hosts: HostProcess[] = [];
const before = new Map<string, string>();
/** Sandboxes by name, as their engines reported them. */
const sb = new Map<string, SandboxInfo>();
const opened: Netns[] = [];
/** Servers and sockets in sandboxes: each holds its namespace open until closed. */
const servers: { close(): unknown }[] = [];

const clusterOf = (i: number) => ({ store: etcd.address, advertiseAddr: net.addresses[i]!, leaseTtl: LEASE_TTL, retryMs: 200 });

async function startHost(i: number): Promise<HostProcess> {
  const h = await HostProcess.start(lib, { netns: net.names[i]!, stateDir: join(dir, `host${i + 1}`), cluster: clusterOf(i) });
  hosts[i] = h;
  return h;
}

const status = (i: number) => hosts[i]!.call<ClusterStatus>('cluster');
const inspect = (i: number, name: string) => hosts[i]!.call<NetworkInspect>('networks.inspect', name);
const deviceOf = (n: NetworkInspect) => n.Options['netplumb.overlay.device']!;

async function ns(name: string): Promise<Netns> {
  const n = await Netns.open({ path: sb.get(name)!.netnsPath });
  opened.push(n);
  return n;
}
const addr = (name: string) => sb.get(name)!.networks[0]!.ipv4;

/** Objects on every host's device of `network`, by host. */
async function objectsEverywhere(network: string, count: number) {
  const out = [];
  for (let i = 0; i < count; i++) out.push(deviceObjects(net.names[i]!, deviceOf(await inspect(i, network))));
  return out;
}

beforeAll(async () => {
  lib = await ChildLib.build();
  dir = mkdtempSync(join(tmpdir(), 'np-overlay-'));
  net = await underlay('npc', 3, [OV1.subnet, OV2.subnet, OV3.subnet]);
  for (const name of [...net.names, net.outsideName]) before.set(name, snapshot(name));
  etcd = await startEtcd(dir, net.names.map((netns, i) => ({ netns, address: net.addresses[i]! })));
  await startHost(0);
  await startHost(1);
}, 120_000);

afterAll(async () => {
  for (const x of servers) x.close();
  for (const n of opened) n.close();
  for (const h of hosts) await h?.kill().catch(() => undefined);
  await etcd?.stop();
  await net?.cleanup();
  lib?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('overlay networks over VXLAN, etcd as the store', () => {
  it('refuses an advertise address that is not on the host, before anything changes', async () => {
    const err = await HostProcess.start(lib, { netns: net.names[0]!, stateDir: join(dir, 'bad'), cluster: { ...clusterOf(0), advertiseAddr: '192.0.2.99' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ValidationError', field: 'cluster.advertiseAddr' });
    expect((err as Error).message).toMatch(/192\.0\.2\.99 is not an address of this host .*192\.0\.2\.11/);
    expect(snapshot(net.names[0])).toBe(before.get(net.names[0]!));
  });

  it('defines overlays on one host and every host joins them', async () => {
    for (const o of [OV1, OV2]) await hosts[0]!.call('networks.create', { name: o.name, driver: 'overlay', subnet: o.subnet, options: { vni: String(o.vni), 'host-subnet-size': '24' } });
    await hosts[1]!.call('networks.create', { name: OV3.name, driver: 'overlay', subnet: OV3.subnet, internal: true, options: { vni: String(OV3.vni) } });
    for (const i of [0, 1]) await eventually(`host ${i + 1} on ov1..ov3`, async () => Object.keys((await status(i)).networks).length === 3);
    const seen = await inspect(1, 'ov1');
    expect(seen).toMatchObject({ Driver: 'overlay', Scope: 'global', IPAM: { Config: [{ Subnet: OV1.subnet }] }, Options: { vni: '100' } });
    const here = (await status(1)).networks;
    // Each host leases its own /24 of each network.
    expect(new Set([here.ov1, (await status(0)).networks.ov1]).size).toBe(2);
    expect(seen.IPAM.Config[0]!.IPRange).toBe(here.ov1);
    // The VXLAN device: the VNI, this host's underlay address, port 4789, no learning, MTU 1500 - 50.
    const [link] = JSON.parse(execFileSync('ip', ['-n', net.names[1]!, '-d', '-j', 'link', 'show', deviceOf(seen)], { encoding: 'utf8' })) as { mtu: number; linkinfo: { info_data: Record<string, unknown> } }[];
    expect(link!.mtu).toBe(1450);
    expect(link!.linkinfo.info_data).toMatchObject({ id: 100, local: net.addresses[1], port: 4789, learning: false });
    expect(link!.linkinfo.info_data.group).toBeUndefined();
  });

  it('refuses overlapping cluster subnets, a VNI in use and unknown options, before anything changes', async () => {
    const list = await hosts[1]!.call<NetworkInspect[]>('networks.list');
    const overlap = await hosts[1]!.call('networks.create', { name: 'ov9', driver: 'overlay', subnet: '10.244.128.0/17' }).catch((e: unknown) => e);
    expect(overlap).toMatchObject({ name: 'ConflictError', reason: 'subnet-in-use' });
    expect((overlap as Error).message).toMatch(/overlaps overlay network 'ov1'/);
    const vni = await hosts[1]!.call('networks.create', { name: 'ov9', driver: 'overlay', subnet: '10.247.0.0/16', options: { vni: '200' } }).catch((e: unknown) => e);
    expect(vni).toMatchObject({ name: 'ConflictError', reason: 'vni-in-use' });
    const bad = await hosts[1]!.call('networks.create', { name: 'ov9', driver: 'overlay', subnet: '10.247.0.0/16', options: { flood: 'yes' } }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ name: 'ValidationError' });
    expect(await hosts[1]!.call<NetworkInspect[]>('networks.list')).toEqual(list);
  });

  it('a host joining changes exactly 3 objects per network on every other host, in one batch each', async () => {
    const was = await Promise.all([status(0), status(1)]);
    const objects = await Promise.all(['ov1', 'ov2', 'ov3'].map((n) => objectsEverywhere(n, 2)));
    for (const per of objects) for (const o of per) expect([o.routes.length, o.neighbours.length, o.fdb.length]).toEqual([1, 1, 1]);
    await startHost(2);
    for (const i of [0, 1]) await eventually(`host ${i + 1} programs host 3`, async () => (await status(i)).peerChanges - was[i]!.peerChanges >= 9);
    const now = await Promise.all([status(0), status(1)]);
    for (const i of [0, 1]) {
      expect(now[i]!.peerChanges - was[i]!.peerChanges).toBe(9);
      expect(now[i]!.peerBatches - was[i]!.peerBatches).toBe(3);
    }
    const after = await Promise.all(['ov1', 'ov2', 'ov3'].map((n) => objectsEverywhere(n, 2)));
    for (const [k, per] of after.entries())
      for (const [i, o] of per.entries()) {
        const old = objects[k]![i]!;
        // Exactly one more of each, and the old ones untouched.
        expect(o.routes).toEqual(expect.arrayContaining(old.routes));
        expect([o.routes.length, o.neighbours.length, o.fdb.length]).toEqual([2, 2, 2]);
        expect(o.fdb.filter((e) => e.dst === net.addresses[2])).toHaveLength(1);
      }
  });

  it('runs sandboxes on every host: TCP, UDP and ping between all pairs keep their source addresses', async () => {
    for (let i = 0; i < 3; i++) {
      const h = hosts[i]!;
      sb.set(`a${i + 1}`, await h.call('sandboxes.create', { name: `a${i + 1}`, network: 'ov1', publish: ['8080:7000'] }));
      sb.set(`x${i + 1}`, await h.call('sandboxes.create', { name: `x${i + 1}`, network: 'ov2' }));
      sb.set(`i${i + 1}`, await h.call('sandboxes.create', { name: `i${i + 1}`, network: 'ov3' }));
    }
    await hosts[0]!.call('networks.create', { name: 'br1', subnet: '172.30.9.0/24' });
    sb.set('br', await hosts[0]!.call('sandboxes.create', { name: 'br', network: 'br1' }));
    const names = ['a1', 'a2', 'a3'];
    for (const n of names) {
      const s = await ns(n);
      servers.push(await serve(s, 7000, n), await udpEcho(s, 7001, n));
    }
    for (const from of names)
      for (const to of names) {
        if (from === to) continue;
        const fromNs = await ns(from);
        expect(await exchange(fromNs, addr(to), 7000, 'hi')).toBe(`${to} saw ${addr(from)}: hi`);
        expect(await udpAsk(fromNs, addr(to), 7001, 'u')).toBe(`${to} got u from ${addr(from)}`);
        expect(ping(sb.get(from)!.netnsName!, addr(to)).ok).toBe(true);
      }
  });

  it('crosses the underlay only as VXLAN', async () => {
    const c0 = net.counters();
    expect(await exchange(await ns('a1'), addr('a3'), 7000, 'counted')).toBe(`a3 saw ${addr('a1')}: counted`);
    const c1 = net.counters();
    expect(c1.vxlanPackets).toBeGreaterThan(c0.vxlanPackets);
    expect(c1.bareClusterPackets).toBe(0);
  });

  it('carries a DF ping of exactly the overlay MTU and refuses one byte more; a 2 MB TCP transfer completes', async () => {
    const from = sb.get('a1')!.netnsName!;
    // 1450 = 1500 - 50 of VXLAN: 1422 bytes of ICMP data + 8 ICMP + 20 IP.
    expect(ping(from, addr('a2'), ['-M', 'do', '-s', '1422']).ok).toBe(true);
    const over = ping(from, addr('a2'), ['-M', 'do', '-s', '1423']);
    expect(over.ok).toBe(false);
    expect(over.output).toMatch(/message too long|mtu ?= ?1450/i);
    servers.push(await sink(await ns('a2'), 7002));
    const data = randomBytes(2 * 1024 * 1024);
    expect(await send(await ns('a1'), addr('a2'), 7002, data)).toBe(`${data.length} ${createHash('sha256').update(data).digest('hex')}`);
  });

  it('publishes ports on every host', async () => {
    for (let i = 0; i < 3; i++)
      expect(await exchange(net.outside, net.addresses[i]!, 8080, 'from outside')).toBe(`a${i + 1} saw ${net.outsideAddress}: from outside`);
  });

  it('masquerades what leaves the cluster to the host address', async () => {
    const server = await serve(net.outside, 9000, 'outside');
    try {
      for (let i = 0; i < 3; i++) expect(await exchange(await ns(`a${i + 1}`), net.outsideAddress, 9000, 'out')).toBe(`outside saw ${net.addresses[i]}: out`);
    } finally {
      server.close();
    }
  });

  it('keeps two overlays, and an overlay and a bridge network, apart', async () => {
    servers.push(await serve(await ns('x2'), 7000, 'x2'), await serve(await ns('br'), 7000, 'br'));
    // ov2 reaches ov2 across hosts...
    expect(await exchange(await ns('x1'), addr('x2'), 7000, 'same')).toBe(`x2 saw ${addr('x1')}: same`);
    // ...but not ov1, across hosts or on the same host, nor the bridge network, nor the other way.
    await expect(exchange(await ns('a1'), addr('x2'), 7000, 'no', 800)).rejects.toThrow();
    await expect(exchange(await ns('x1'), addr('a1'), 7000, 'no', 800)).rejects.toThrow();
    await expect(exchange(await ns('a1'), addr('br'), 7000, 'no', 800)).rejects.toThrow();
    await expect(exchange(await ns('br'), addr('a1'), 7000, 'no', 800)).rejects.toThrow();
    await expect(exchange(await ns('br'), addr('a2'), 7000, 'no', 800)).rejects.toThrow();
  });

  it('lets an internal overlay reach itself across hosts and nothing else', async () => {
    servers.push(await serve(await ns('i3'), 7000, 'i3'));
    expect(await exchange(await ns('i1'), addr('i3'), 7000, 'in')).toBe(`i3 saw ${addr('i1')}: in`);
    const server = await serve(net.outside, 9001, 'outside');
    try {
      await expect(exchange(await ns('i1'), net.outsideAddress, 9001, 'out', 800)).rejects.toThrow();
    } finally {
      server.close();
    }
  });

  it('resolves the names of sandboxes on other hosts', async () => {
    const s = await bindUdp(await ns('a1'), { address: '0.0.0.0', port: 0 });
    try {
      const gateway = sb.get('a1')!.networks[0]!.gateway;
      for (const [id, name] of [[1, 'a2'], [2, 'a3'], [3, 'A3.']] as const) {
        await eventually(`${name} resolves`, async () => (await askUdp(s, gateway, 53, id + 10 * Math.floor(Math.random() * 1000), name, RRType.A)).answers.length > 0, 10_000);
        const m = await askUdp(s, gateway, 53, id, name, RRType.A);
        expect(m.answers.map((a) => addressFromData(a.data))).toEqual([addr(name.replace('.', '').toLowerCase())]);
      }
    } finally {
      s.close();
    }
  });

  it('holds exactly N-1 routes, neighbours and FDB entries per overlay on every host after all that traffic, none learned', async () => {
    for (const n of ['ov1', 'ov2', 'ov3'])
      for (const o of await objectsEverywhere(n, 3)) {
        expect(o.routes).toHaveLength(2);
        expect(o.routes.every((r) => r.flags.includes('onlink') && r.gateway === r.dst.split('/')[0])).toBe(true);
        expect(o.neighbours).toHaveLength(2);
        expect(o.neighbours.every((e) => e.state.includes('PERMANENT'))).toBe(true);
        expect(o.fdb).toHaveLength(2);
        expect(o.fdb.every((e) => e.state === 'permanent' && e.mac !== '00:00:00:00:00:00')).toBe(true);
      }
  });

  it('drops a killed host after its lease; back on its state, it takes its subnet again and changes only what differs', async () => {
    const subnet3 = (await status(2)).networks.ov1;
    await hosts[2]!.kill();
    for (const i of [0, 1])
      await eventually(`host ${i + 1} drops host 3`, async () => {
        const o = deviceObjects(net.names[i]!, deviceOf(await inspect(i, 'ov1')));
        return o.routes.length === 1 && o.fdb.length === 1 && o.neighbours.length === 1;
      });
    // Host 3's kernel still holds its peers; take one neighbour away to see that a restart puts back just that.
    // The device's name is the network's on every host.
    const dev = deviceOf(await inspect(0, 'ov1'));
    const victim = deviceObjects(net.names[2]!, dev).neighbours[0]!;
    execFileSync('ip', ['-n', net.names[2]!, 'neigh', 'del', victim.dst, 'dev', dev]);
    await startHost(2);
    await eventually('host 3 back', async () => (await status(2)).connected && Object.keys((await status(2)).networks).length === 3);
    const back = await status(2);
    expect(back.networks.ov1).toBe(subnet3);
    // One neighbour was missing; everything else was right.
    expect(back.peerChanges).toBe(1);
    for (const i of [0, 1])
      await eventually(`host ${i + 1} takes host 3 back`, async () => deviceObjects(net.names[i]!, deviceOf(await inspect(i, 'ov1'))).routes.length === 2);
    expect(await exchange(await ns('a1'), addr('a3'), 7000, 'again')).toBe(`a3 saw ${addr('a1')}: again`);
  });

  it('keeps local networks working while the store is unreachable, and names the store in its refusals', async () => {
    const lone = await HostProcess.start(lib, {
      netns: net.outsideName,
      stateDir: join(dir, 'lone'),
      cluster: { store: `etcd://${net.addresses[0]}:2999`, advertiseAddr: net.outsideAddress, retryMs: 200 },
    });
    try {
      expect(await lone.call<ClusterStatus>('cluster')).toMatchObject({ connected: false, lastError: expect.stringMatching(/etcd:\/\/192\.0\.2\.11:2999.*ECONNREFUSED/) });
      const err = await lone.call('networks.create', { name: 'ov8', driver: 'overlay', subnet: '10.248.0.0/16' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'ClusterStoreError', store: 'etcd://192.0.2.11:2999' });
      await lone.call('networks.create', { name: 'local1', subnet: '172.30.8.0/24' });
      const s = await lone.call<SandboxInfo>('sandboxes.create', { name: 'l1', network: 'local1' });
      expect(s.networks[0]!.ipv4).toBe('172.30.8.2');
      await lone.call('sandboxes.remove', 'l1');
      await lone.call('networks.remove', 'local1');
    } finally {
      await lone.close();
    }
  });

  it('removes the networks cluster-wide and returns every host to what it was', async () => {
    for (const x of servers.splice(0)) x.close();
    for (const n of opened.splice(0)) n.close();
    for (const [name, s] of sb) await hosts[Number(/\d/.exec(name)?.[0] ?? '1') - 1]!.call('sandboxes.remove', s.id);
    await hosts[0]!.call('networks.remove', 'br1');
    // Host 2 refuses while its view of the store still has the other hosts' sandboxes (their removal reaches it by watch).
    for (const n of ['ov1', 'ov2', 'ov3'])
      await eventually(`${n} removed`, () => hosts[1]!.call('networks.remove', n).then(() => true, (e: Error) => (/sandboxes on other hosts/.test(e.message) ? false : Promise.reject(e))));
    for (let i = 0; i < 3; i++) await eventually(`host ${i + 1} left`, async () => Object.keys((await status(i)).networks).length === 0);
    for (const h of hosts) await h.close();
    const res = etcdPost<{ kvs?: { key: string }[] }>(net.names[0]!, etcd.endpoints[0]!, '/v3/kv/range', {
      key: Buffer.from('/netplumb/v1/').toString('base64'),
      range_end: Buffer.from('/netplumb/v10').toString('base64'),
    });
    const left = res.kvs?.map((k) => Buffer.from(k.key, 'base64').toString()) ?? [];
    // What stays is the catalog counter; no host, VTEP, name or network.
    expect(left).toEqual(['/netplumb/v1/catalog']);
    // The kernel deletes a namespace's veth pairs in the background once nothing holds it.
    for (const name of [...net.names, net.outsideName]) await eventually(`${name} as before`, () => snapshot(name) === before.get(name), 10_000).catch(() => undefined);
    for (const name of [...net.names, net.outsideName]) expect(snapshot(name)).toBe(before.get(name));
  });
});
