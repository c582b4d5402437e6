import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Netns, ValidationError, NotFoundError, AlreadyExistsError } from '../../../src/index.js';
import { Addresses } from '../../../src/rtnl/addr.js';
import { Neighbours, neighCalls } from '../../../src/rtnl/neigh.js';
import { Links } from '../../../src/rtnl/link.js';
import { assertSandbox, ipJson, snapshot } from '../support/witness.js';

beforeAll(assertSandbox);

interface IpNeigh {
  dst: string;
  dev?: string;
  lladdr?: string;
  state: string[];
  router?: null;
}
interface BridgeFdb {
  mac: string;
  ifname: string;
  dst?: string;
  vni?: number;
  vlan?: number;
  master?: string;
  flags: string[];
  state: string;
}

const NS = 'np-neigh';
let ns: Netns;
let neigh: Neighbours;
let index: number;

const ipNeigh = (): IpNeigh[] => ipJson<IpNeigh[]>(NS, 'neigh', 'show', 'dev', 'd0');
function fdb(dev: string): BridgeFdb[] {
  const out = execFileSync('ip', ['netns', 'exec', NS, 'bridge', '-j', 'fdb', 'show', 'dev', dev], { encoding: 'utf8' });
  return out.trim() === '' ? [] : (JSON.parse(out) as BridgeFdb[]);
}

beforeEach(async () => {
  ns = await Netns.create({ name: NS });
  neigh = new Neighbours(ns);
  // No dummy driver here: a veth pair with both ends up stands in for one.
  index = (await new Links(ns).addVeth({ name: 'd0', up: true, peer: { name: 'd0p', up: true } })).index;
  await new Addresses(ns).add({ dev: 'd0', address: '10.4.0.1/24' });
  await new Addresses(ns).add({ dev: 'd0', address: 'fd00:4::1/64', flags: { nodad: true } });
});
afterEach(async () => {
  await ns.delete();
});

describe('neighbours', () => {
  it('adds, lists and deletes a permanent ARP entry and a permanent NDP router entry', async () => {
    await neigh.add({ dev: 'd0', address: '10.4.0.50', lladdr: '02:00:00:00:00:50' });
    await neigh.add({ index, address: 'fd00:4::50', lladdr: '02:00:00:00:00:51', router: true });
    await neigh.add({ dev: 'd0', address: '10.4.0.51', lladdr: '02:00:00:00:00:52', state: 'stale' });
    const w = ipNeigh();
    expect(w).toContainEqual(expect.objectContaining({ dst: '10.4.0.50', lladdr: '02:00:00:00:00:50', state: ['PERMANENT'] }));
    expect(w).toContainEqual(expect.objectContaining({ dst: 'fd00:4::50', lladdr: '02:00:00:00:00:51', state: ['PERMANENT'], router: null }));
    expect(w).toContainEqual(expect.objectContaining({ dst: '10.4.0.51', state: ['STALE'] }));

    const v4 = await neigh.list({ dev: 'd0', family: 4 });
    expect(v4).toContainEqual(
      expect.objectContaining({ kind: 'neighbour', family: 4, index, address: '10.4.0.50', lladdr: '02:00:00:00:00:50', state: ['permanent'] }),
    );
    expect(v4.every((e) => e.family === 4)).toBe(true);
    const v6 = await neigh.list({ family: 6 });
    const r = v6.find((e) => e.address === 'fd00:4::50');
    expect(r?.flags.router).toBe(true);
    expect(r?.state).toEqual(['permanent']);

    await expect(neigh.add({ dev: 'd0', address: '10.4.0.50', lladdr: '02:00:00:00:00:99' })).rejects.toBeInstanceOf(AlreadyExistsError);
    await neigh.add({ dev: 'd0', address: '10.4.0.50', lladdr: '02:00:00:00:00:99', replace: true });
    expect(ipNeigh().find((e) => e.dst === '10.4.0.50')?.lladdr).toBe('02:00:00:00:00:99');

    expect(await neigh.delete({ dev: 'd0', address: '10.4.0.50' })).toBe(true);
    expect(await neigh.delete({ dev: 'd0', address: 'fd00:4::50' })).toBe(true);
    expect(ipNeigh().map((e) => e.dst)).not.toContain('10.4.0.50');
    expect(ipNeigh().map((e) => e.dst)).not.toContain('fd00:4::50');
    expect(await neigh.delete({ dev: 'd0', address: '10.4.0.50', ifExists: true })).toBe(false);
    await expect(neigh.delete({ dev: 'd0', address: '10.4.0.50' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('adds and deletes bridge FDB entries on a bridge port (master) and on a vxlan device (self, dst, vni)', async () => {
    const links = new Links(ns);
    await links.addBridge({ name: 'br0', up: true });
    await links.addVeth({ name: 'p0', master: 'br0', up: true, peer: { name: 'p0p', up: true } });
    await links.addVxlan({ name: 'vx0', vni: 42, port: 4789, local: '10.4.0.1', learning: false, up: true });

    await neigh.add({ family: 'bridge', dev: 'p0', lladdr: '02:00:00:00:01:01', master: true });
    await neigh.add({ family: 'bridge', dev: 'vx0', lladdr: '00:00:00:00:00:00', dst: '10.4.0.77', self: true });
    await neigh.add({ family: 'bridge', dev: 'vx0', lladdr: '02:00:00:00:01:02', dst: '10.4.0.78', vni: 43 });
    expect(fdb('p0')).toContainEqual(
      expect.objectContaining({ mac: '02:00:00:00:01:01', master: 'br0', state: 'static' }),
    );
    const vx = fdb('vx0');
    expect(vx).toContainEqual(expect.objectContaining({ mac: '00:00:00:00:00:00', dst: '10.4.0.77', flags: ['self'] }));
    expect(vx).toContainEqual(expect.objectContaining({ mac: '02:00:00:00:01:02', dst: '10.4.0.78', vni: 43 }));

    const listed = await neigh.list({ family: 'bridge', dev: 'vx0' });
    expect(listed).toContainEqual(
      expect.objectContaining({ kind: 'neighbour', family: 'bridge', lladdr: '00:00:00:00:00:00', dst: '10.4.0.77' }),
    );
    expect(listed.find((e) => e.lladdr === '02:00:00:00:01:02')).toMatchObject({ vni: 43, dst: '10.4.0.78' });
    const port = await neigh.list({ family: 'bridge', dev: 'p0' });
    const e = port.find((x) => x.lladdr === '02:00:00:00:01:01');
    expect(e?.flags.master).toBe(true);
    expect(e?.master).toBe((await links.get('br0')).index);

    // snapshot() would see the bridge's running timers change: compare the FDB
    // itself, in a stable order and without entries the bridge learns by itself.
    const fdbState = (): string[] =>
      [...fdb('p0'), ...fdb('vx0')].filter((x) => x.state !== '').map((x) => JSON.stringify(x)).sort();
    const before = fdbState();
    const plan = ns.plan();
    plan.add(neighCalls.delete({ family: 'bridge', dev: 'p0', lladdr: '02:00:00:00:01:01', master: true }));
    plan.add(neighCalls.delete({ family: 'bridge', dev: 'vx0', lladdr: '00:00:00:00:00:00', dst: '10.4.0.77' }));
    plan.add(neighCalls.delete({ family: 'bridge', dev: 'vx0', lladdr: '02:00:00:00:09:09' }));
    await expect(plan.run()).rejects.toMatchObject({ planIndex: 2 });
    expect(fdbState()).toEqual(before);
    expect(fdb('p0').some((x) => x.mac === '02:00:00:00:01:01')).toBe(true);
    expect(fdb('vx0').some((x) => x.dst === '10.4.0.77')).toBe(true);

    expect(await neigh.delete({ family: 'bridge', dev: 'p0', lladdr: '02:00:00:00:01:01', master: true })).toBe(true);
    expect(await neigh.delete({ family: 'bridge', dev: 'vx0', lladdr: '00:00:00:00:00:00', dst: '10.4.0.77' })).toBe(true);
    expect(fdb('p0').some((x) => x.mac === '02:00:00:00:01:01')).toBe(false);
    expect(fdb('vx0').some((x) => x.dst === '10.4.0.77')).toBe(false);
  });

  it('rejects bad input with ValidationError and an unknown device with NotFoundError, changing nothing', async () => {
    const before = snapshot(NS);
    await expect(neigh.add({ dev: 'd0', address: '10.4.0.300', lladdr: '02:00:00:00:00:50' })).rejects.toBeInstanceOf(ValidationError);
    await expect(neigh.add({ dev: 'd0', address: '10.4.0.60', lladdr: '02:00:00:00:50' })).rejects.toBeInstanceOf(ValidationError);
    await expect(neigh.add({ dev: 'd0', address: '10.4.0.60' })).rejects.toBeInstanceOf(ValidationError);
    await expect(neigh.add({ dev: 'd0', address: '10.4.0.60', lladdr: '02:00:00:00:00:60', router: true })).rejects.toBeInstanceOf(ValidationError);
    await expect(neigh.add({ family: 'bridge', dev: 'd0', lladdr: 'zz' })).rejects.toBeInstanceOf(ValidationError);
    await expect(neigh.add({ dev: 'nosuch0', address: '10.4.0.60', lladdr: '02:00:00:00:00:60' })).rejects.toBeInstanceOf(NotFoundError);
    expect(snapshot(NS)).toBe(before);
    expect(ipNeigh().map((e) => e.dst)).not.toContain('10.4.0.60');
  });

  it('a plan that adds entries and then fails undoes them', async () => {
    const plan = ns.plan();
    plan.add(neighCalls.add({ dev: 'd0', address: '10.4.0.70', lladdr: '02:00:00:00:00:70' }));
    plan.add(neighCalls.add({ dev: 'd0', address: 'fd00:4::70', lladdr: '02:00:00:00:00:71' }));
    plan.add(neighCalls.add({ dev: 'nosuch0', address: '10.4.0.71', lladdr: '02:00:00:00:00:72' }));
    await expect(plan.run()).rejects.toMatchObject({ planIndex: 2 });
    expect(ipNeigh().map((e) => e.dst)).not.toContain('10.4.0.70');
    expect(ipNeigh().map((e) => e.dst)).not.toContain('fd00:4::70');
  });
});
