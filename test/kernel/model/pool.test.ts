// The warm pool (issue 14): namespaces kept ready with their veth pair on a
// network's bridge, down and without address; a create takes one and only
// addresses, routes and publishes. Proved against the kernel: what the pool
// holds, that a sandbox made from it carries traffic and cannot be told from
// one made cold (links, counters, addresses, routes, neighbours, every net
// sysctl, and its bridge port), that the pool refills, and that its
// namespaces are owned like everything else: the engine deletes its own when
// it closes, reconcile deletes those of a dead engine, a network's removal
// takes its entries along.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, bindUdp, tcpProbe } from '../../../src/index.js';
import type { Engine, SandboxInfo } from '../../../src/model/index.js';
import { ip, ipJson, nftJson } from '../support/witness.js';
import { TempState } from './support/engine.js';
import { hostAndWan, type HostAndWan } from './support/topology.js';

const HOST = 'np-pl-host';
let topology: HostAndWan;
let state: TempState;

beforeAll(async () => {
  topology = await hostAndWan({ host: HOST, wan: 'np-pl-wan', hostAddress: '198.18.9.1', wanAddress: '198.18.9.2' });
  state = await TempState.create('np-pl-');
});

afterAll(async () => {
  await topology?.cleanup();
  await state?.remove();
});

interface PoolDoc {
  id: string;
  networkId: string;
  netnsName: string;
  hostIfname: string;
  owner: { pid: number };
}

function poolDocs(): PoolDoc[] {
  const dir = join(state.stateDir, 'run', 'pool');
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as PoolDoc);
  } catch {
    return [];
  }
}

const namespaces = (): string[] => ip(undefined, 'netns', 'list').split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => /^np-[0-9a-f]{12}$/.test(n));

interface IpLink {
  ifname: string;
  flags: string[];
  master?: string;
  address?: string;
  addr_info?: { local: string }[];
  [k: string]: unknown;
}

/**
 * Everything about a sandbox's network that could carry over from an earlier
 * life, with what is its own by construction (names, indexes, its address and
 * the MAC derived from it) replaced by placeholders.
 */
function fingerprint(s: SandboxInfo): unknown {
  const e = s.networks[0]!;
  const ns = s.netnsName!;
  const own = (text: string): string =>
    text.replaceAll(e.ipv4, 'IP').replaceAll(e.mac, 'MAC').replaceAll(e.hostIfname, 'HOSTEND').replaceAll(ns, 'NETNS').replaceAll(s.id, 'ID');
  const links = ipJson<IpLink[]>(ns, '-d', '-s', 'link', 'show');
  // The host end's MAC is random either way; the bridge numbers its ports in the order they joined.
  const [hostEnd] = ipJson<IpLink[]>(HOST, '-d', '-s', 'link', 'show', 'dev', e.hostIfname).map(({ address: _a, broadcast: _b, ...rest }) => rest);
  const sysctls = execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-a'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith('net.'))
    .join('\n');
  const ordinal = new Set(['ifindex', 'link_index', 'link_netnsid', 'id', 'no', 'port_id', 'port_no', 'designated_port', 'root_id', 'bridge_id', 'designated_root', 'designated_bridge']);
  return JSON.parse(
    own(
      JSON.stringify({
        links,
        hostEnd,
        addresses: ipJson(ns, 'addr', 'show'),
        routes: ipJson(ns, 'route', 'show', 'table', 'all'),
        neighbours: ipJson(ns, 'neigh', 'show'),
        sysctls,
      }),
    ),
    (key, value: unknown) => (ordinal.has(key) || key.endsWith('_timer') ? undefined : value),
  );
}

describe('warm pool', () => {
  let engine: Engine;
  let networkId: string;
  let bridge: string;

  beforeAll(async () => {
    engine = await state.open(topology.host, { dns: false, pool: [{ network: 'warm', size: 2 }] });
    const net = await engine.networks.create({ name: 'warm', subnet: '10.88.0.0/24' });
    networkId = net.Id;
    bridge = net.Options['com.docker.network.bridge.name']!;
    await engine.pool.settled();
  });

  afterAll(async () => {
    await engine?.close();
  });

  it('keeps namespaces ready with their veth pair on the bridge, sandbox end down so the pair has no carrier, no address, on record', () => {
    expect(engine.pool.ready).toEqual({ [networkId]: 2 });
    const docs = poolDocs();
    expect(docs).toHaveLength(2);
    for (const d of docs) {
      expect(d).toMatchObject({ networkId, owner: { pid: process.pid } });
      expect(namespaces()).toContain(d.netnsName);
      const [hostEnd] = ipJson<IpLink[]>(HOST, 'link', 'show', 'dev', d.hostIfname);
      expect(hostEnd?.master).toBe(bridge);
      // Up, as a cold create's host end is before its sandbox end comes up: no carrier, so the bridge port stays disabled.
      expect(hostEnd?.flags).toEqual(expect.arrayContaining(['UP', 'NO-CARRIER']));
      expect(hostEnd?.flags).not.toContain('LOWER_UP');
      const inside = ipJson<IpLink[]>(d.netnsName, 'addr', 'show');
      expect(inside.map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
      const eth0 = inside.find((l) => l.ifname === 'eth0')!;
      expect(eth0.flags).not.toContain('UP');
      expect(eth0.addr_info).toEqual([]);
    }
  });

  it('a create takes a pooled namespace, its published port carries traffic, and the pool fills up again', async () => {
    const ready = poolDocs().map((d) => d.netnsName);
    const web = await engine.sandboxes.create({ name: 'pooled-web', network: 'warm', publish: ['8090:80'] });
    expect(ready).toContain(web.netnsName);
    expect(poolDocs().map((d) => d.netnsName)).not.toContain(web.netnsName);
    const ns = await engine.sandboxes.netns('pooled-web');
    try {
      const r = await tcpProbe(topology.wan, ns, { address: '198.18.9.1', listenAddress: '0.0.0.0', port: 80, connectPort: 8090 });
      expect(r.seenFrom).toBe('198.18.9.2');
    } finally {
      ns.close();
    }
    await engine.pool.settled();
    expect(engine.pool.ready).toEqual({ [networkId]: 2 });
    expect(poolDocs()).toHaveLength(2);
    await engine.sandboxes.remove('pooled-web');
  });

  it('a create from the pool refuses a host port a process listens on, takes nothing from the pool, and the pool stays full', async () => {
    await engine.pool.settled();
    const ready = poolDocs().map((d) => d.netnsName).sort();
    const listener = await topology.host.listenTcp({ address: '0.0.0.0', port: 8091 });
    try {
      const err = await engine.sandboxes.create({ name: 'pooled-busy', network: 'warm', publish: ['8091:80'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect(err).toMatchObject({ reason: 'port-in-use' });
      expect((err as Error).message).toMatch(/^host port 0\.0\.0\.0:8091\/tcp is in use on the host: a process listens on 0\.0\.0\.0:8091\/tcp \(socket inode \d+\); pick another host port/);
      expect(await engine.sandboxes.find('pooled-busy')).toBeUndefined();
      expect(JSON.stringify(nftJson(HOST, 'list', 'ruleset'))).not.toMatch(/\b8091\b/);
    } finally {
      listener.close();
    }
    expect(engine.pool.ready).toEqual({ [networkId]: 2 });
    expect(poolDocs().map((d) => d.netnsName).sort()).toEqual(ready);
    expect(namespaces().sort()).toEqual(ready);
  });

  it('a sandbox from the pool cannot be told from one made cold, even after traffic passed the bridge while it waited', async () => {
    // Engines and a network of their own: nothing else runs on this bridge.
    const pooling = await state.open(topology.host, { dns: false, pool: [{ network: 'twin', size: 1 }] });
    const cold = await state.open(topology.host, { dns: false });
    try {
      await cold.networks.create({ name: 'twin', subnet: '10.88.4.0/24' });
      await pooling.pool.settled();
      const [waiting] = poolDocs().filter((d) => d.owner.pid === process.pid && d.networkId !== networkId);
      // While the pooled pair waits, broadcasts cross the bridge: a listener on it counts them, the waiting pair must not.
      await cold.sandboxes.create({ name: 'noise', network: 'twin' });
      const listener = await cold.sandboxes.create({ name: 'listener', network: 'twin' });
      const noise = await cold.sandboxes.netns('noise');
      try {
        const sock = await bindUdp(noise, { address: '0.0.0.0', port: 0 });
        sock.setBroadcast(true);
        for (let i = 0; i < 3; i++) await new Promise<void>((resolve, reject) => sock.send('x', 9, '10.88.4.255', (e) => (e ? reject(e) : resolve())));
        sock.close();
      } finally {
        noise.close();
      }
      const received = (s: SandboxInfo): number => ipJson<{ stats64: { rx: { packets: number } } }[]>(s.netnsName, '-s', 'link', 'show', 'eth0')[0]!.stats64.rx.packets;
      await expect.poll(() => received(listener), { timeout: 5000 }).toBeGreaterThanOrEqual(3);
      await cold.sandboxes.remove('noise');
      await cold.sandboxes.remove('listener');
      const a = await pooling.sandboxes.create({ name: 'from-pool', network: 'twin', ip: '10.88.4.50', publish: ['8091:80'] });
      const b = await cold.sandboxes.create({ name: 'made-cold', network: 'twin', ip: '10.88.4.51', publish: ['8092:80'] });
      const c = await cold.sandboxes.create({ name: 'made-cold-too', network: 'twin', ip: '10.88.4.52', publish: ['8093:80'] });
      expect(a.netnsName).toBe(waiting!.netnsName);
      // Let the kernel's link watch settle carrier and operstate on all three.
      await new Promise((r) => setTimeout(r, 1000));
      const [fa, fb, fc] = [fingerprint(a), fingerprint(b), fingerprint(c)];
      // Two cold sandboxes look alike (the fingerprint holds nothing that varies by itself) ...
      expect(fc).toEqual(fb);
      // ... and so does the pooled one: none of the broadcasts it sat through is counted.
      expect(fa).toEqual(fb);
      // (The counters are in the fingerprints; said once more: the broadcasts would have been 3 packets more.)
      expect(received(a)).toBe(received(b));
      for (const name of ['from-pool', 'made-cold', 'made-cold-too']) await cold.sandboxes.remove(name);
      await cold.networks.remove('twin');
    } finally {
      await pooling.close();
      await cold.close();
    }
  });

  it('a network removal takes its pool entries along', async () => {
    const other = await state.open(topology.host, { dns: false, pool: [{ network: 'brief', size: 1 }] });
    try {
      await other.networks.create({ name: 'brief', subnet: '10.88.1.0/24' });
      await other.pool.settled();
      const [doc] = poolDocs().filter((d) => d.networkId !== networkId);
      expect(doc).toBeDefined();
      await engine.networks.remove('brief');
      expect(poolDocs().map((d) => d.id)).not.toContain(doc!.id);
      expect(namespaces()).not.toContain(doc!.netnsName);
    } finally {
      await other.close();
    }
  });
});

describe('pool ownership', () => {
  it('an engine deletes its pool when it closes, and reconcile deletes the pool of an engine that is gone', async () => {
    const net = 'owned';
    const a = await state.open(topology.host, { dns: false, pool: [{ network: net, size: 2 }] });
    await a.networks.create({ name: net, subnet: '10.88.2.0/24' });
    await a.pool.settled();
    const mine = poolDocs().filter((d) => d.owner.pid === process.pid).map((d) => d.netnsName);
    expect(mine).toHaveLength(2);
    await a.close();
    expect(poolDocs()).toEqual([]);
    await expect.poll(() => namespaces().filter((n) => mine.includes(n))).toEqual([]);

    // An engine that died leaves its entries: reconcile (run by anyone) deletes them.
    const b = await state.open(topology.host, { dns: false, pool: [{ network: net, size: 1 }] });
    await b.pool.settled();
    const [entry] = poolDocs();
    const file = join(state.stateDir, 'run', 'pool', `${entry!.id}.json`);
    const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(file, JSON.stringify({ ...entry, owner: { pid: Number(dead) } }));
    const c = await state.open(topology.host, { dns: false });
    try {
      const report = await c.reconcile();
      expect(report.removedNamespaces).toContain(entry!.netnsName);
      expect(poolDocs()).toEqual([]);
      expect(namespaces()).not.toContain(entry!.netnsName);
      // b's copy is gone from the records: it makes its sandbox cold.
      const s = await b.sandboxes.create({ name: 'after', network: net });
      expect(s.netnsName).not.toBe(entry!.netnsName);
      await b.sandboxes.remove('after');
      // A live engine's entries stay through reconcile.
      await b.pool.settled();
      const live = poolDocs();
      expect(live).toHaveLength(1);
      await c.reconcile();
      expect(poolDocs()).toEqual(live);
      await b.networks.remove(net);
    } finally {
      await c.close();
      await b.close();
    }
  });

  it('pool size 0 keeps nothing', async () => {
    const e = await state.open(topology.host, { dns: false, pool: [{ network: 'zero', size: 0 }] });
    try {
      await e.networks.create({ name: 'zero', subnet: '10.88.3.0/24' });
      await e.pool.settled();
      expect(e.pool.ready).toEqual({});
      expect(poolDocs()).toEqual([]);
      await e.networks.remove('zero');
    } finally {
      await e.close();
    }
  });
});
