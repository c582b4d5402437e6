// The same overlay with a directory of records as the cluster store
// (dir:///path), for static setups and machines without etcd: two engines
// (one per host namespace) share the directory. Their nexthop threshold is 0,
// so the routes go through nexthop objects, as past 1,000 hosts.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkCalls, Netns } from '../../../src/index.js';
import { Engine } from '../../../src/model/index.js';
import { ipJson, snapshot } from '../support/witness.js';
import { exchange, serve } from '../model/support/traffic.js';
import { underlay, type Underlay } from './support/underlay.js';
import { deviceObjects, eventually } from './support/witness.js';

let net: Underlay;
let dir: string;
const engines: Engine[] = [];
const before = new Map<string, string>();
const errors: string[] = [];

const open = (i: number) =>
  Engine.open({
    host: net.hosts[i]!,
    stateDir: join(dir, `host${i + 1}`),
    dns: false,
    cluster: { store: `dir://${dir}/store`, advertiseAddr: net.addresses[i]!, leaseTtl: 2, pollMs: 100, nexthopThreshold: 0, onError: (e) => errors.push(e.message) },
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'np-overlay-dir-'));
  net = await underlay('npd', 2, ['10.250.0.0/16']);
  for (const n of net.names) before.set(n, snapshot(n));
  engines.push(await open(0), await open(1));
});

afterAll(async () => {
  for (const e of engines) await e.close();
  await net?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('overlay over a dir:// store', () => {
  it('keeps the records as files, one per key, that a person can read', async () => {
    const n = await engines[0]!.networks.create({ name: 'ovd', driver: 'overlay', subnet: '10.250.0.0/16', options: { vni: '7', 'host-subnet-size': '26' } });
    await eventually('host 2 joins', () => engines[1]!.cluster?.networks.ovd !== undefined);
    expect(readdirSync(join(dir, 'store', 'netplumb', 'v1', 'networks'))).toEqual(['ovd.json']);
    expect(readdirSync(join(dir, 'store', 'netplumb', 'v1', 'overlay', n.Id, 'vteps')).sort()).toEqual(['10.250.0.0-26.json', '10.250.0.64-26.json']);
    const dev = n.Options['netplumb.overlay.device']!;
    for (const name of net.names) await eventually(`${name} programmed`, () => deviceObjects(name, dev).fdb.length === 1);
    // The remote host's route goes through its nexthop object (slot 1, host index 1).
    expect(deviceObjects(net.names[0]!, dev).routes).toEqual([expect.objectContaining({ dst: '10.250.0.64/26', nhid: 2 ** 24 + 2 })]);
    expect(ipJson<{ id: number; gateway: string; dev: string; flags: string[] }[]>(net.names[0], 'nexthop', 'show', 'dev', dev)).toEqual([
      expect.objectContaining({ id: 2 ** 24 + 2, gateway: '10.250.0.64', flags: ['onlink'] }),
    ]);
  });

  it('carries traffic between the two hosts with sources kept', async () => {
    const s1 = await engines[0]!.sandboxes.create({ name: 'd1', network: 'ovd' });
    const s2 = await engines[1]!.sandboxes.create({ name: 'd2', network: 'ovd' });
    const ns1 = await Netns.open({ path: s1.netnsPath });
    const ns2 = await Netns.open({ path: s2.netnsPath });
    const server = await serve(ns2, 7000, 'd2');
    try {
      expect(await exchange(ns1, s2.networks[0]!.ipv4, 7000, 'x')).toBe(`d2 saw ${s1.networks[0]!.ipv4}: x`);
    } finally {
      server.close();
      ns1.close();
      ns2.close();
    }
    await engines[0]!.sandboxes.remove('d1');
    await engines[1]!.sandboxes.remove('d2');
  });

  it('drops a host that leaves, and takes it back when it returns', async () => {
    const dev = (await engines[0]!.networks.inspect('ovd')).Options['netplumb.overlay.device']!;
    await engines[1]!.close();
    await eventually('host 1 drops host 2', () => deviceObjects(net.names[0]!, dev).routes.length === 0);
    engines[1] = await open(1);
    await eventually('host 1 takes host 2 back', () => deviceObjects(net.names[0]!, dev).routes.length === 1);
    expect(engines[1]!.cluster?.networks.ovd).toBe('10.250.0.64/26');
  });

  it('lets reconcile delete a VXLAN device left by an overlay that is gone (a crash while leaving)', async () => {
    const gone = 'f'.repeat(64);
    await net.hosts[0]!.exec([linkCalls.addVxlan({ name: 'npxffffffffffff', vni: 99, local: net.addresses[0]!, learning: false, alias: `netplumb overlay ${gone}` })]);
    const report = await engines[0]!.reconcile();
    expect(report.removedLinks).toEqual(['npxffffffffffff']);
    expect(ipJson(net.names[0], 'link', 'show', 'type', 'vxlan').map((l) => (l as { ifname: string }).ifname)).toEqual([
      (await engines[0]!.networks.inspect('ovd')).Options['netplumb.overlay.device'],
    ]);
  });

  it('removes the network everywhere and leaves the hosts as they were', async () => {
    await engines[1]!.networks.remove('ovd');
    await eventually('host 1 left', () => Object.keys(engines[0]!.cluster?.networks ?? {}).length === 0);
    for (const name of net.names) expect(snapshot(name)).toBe(before.get(name));
    expect(errors).toEqual([]);
  });
});
