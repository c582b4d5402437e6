import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Netns, ValidationError, NotFoundError, AlreadyExistsError } from '../../../src/index.js';
import { Addresses, addrCalls } from '../../../src/rtnl/addr.js';
import { Links } from '../../../src/rtnl/link.js';
import { assertSandbox, ipJson, snapshot } from '../support/witness.js';

beforeAll(assertSandbox);

interface IpAddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  broadcast?: string;
  scope: string;
  label?: string;
  nodad?: boolean;
  noprefixroute?: boolean;
}
interface IpAddrShow {
  ifname: string;
  addr_info: IpAddrInfo[];
}

const NS = 'np-addr';
let ns: Netns;
let addrs: Addresses;
let index: number;

function witness(dev = 'd0'): IpAddrInfo[] {
  return ipJson<IpAddrShow[]>(NS, 'addr', 'show', 'dev', dev)[0]?.addr_info ?? [];
}

beforeEach(async () => {
  ns = await Netns.create({ name: NS });
  addrs = new Addresses(ns);
  // No dummy driver here: a veth pair with both ends up stands in for one.
  index = (await new Links(ns).addVeth({ name: 'd0', up: true, peer: { name: 'd0p', up: true } })).index;
});
afterEach(async () => {
  await ns.delete();
});

describe('addresses', () => {
  it('adds, lists and deletes an IPv4 address with a computed broadcast and a label', async () => {
    const a = await addrs.add({ dev: 'd0', address: '10.1.0.1/24', broadcast: true, label: 'd0:web' });
    expect(a).toMatchObject({
      kind: 'address',
      family: 4,
      index,
      address: '10.1.0.1',
      prefixLength: 24,
      cidr: '10.1.0.1/24',
      broadcast: '10.1.0.255',
      scope: 'global',
      label: 'd0:web',
      validLifetime: 'forever',
    });
    expect(witness()).toContainEqual(
      expect.objectContaining({ family: 'inet', local: '10.1.0.1', prefixlen: 24, broadcast: '10.1.0.255', label: 'd0:web' }),
    );
    const listed = await addrs.list({ dev: 'd0', family: 4 });
    expect(listed.map((x) => x.cidr)).toEqual(['10.1.0.1/24']);
    expect(await addrs.delete({ index, address: '10.1.0.1/24' })).toBe(true);
    expect(witness().filter((x) => x.family === 'inet')).toEqual([]);
    expect(await addrs.delete({ dev: 'd0', address: '10.1.0.1/24', ifExists: true })).toBe(false);
  });

  it('in a plan, adds addresses without reading them back (IPv4 and IPv6)', async () => {
    const [v4, v6] = await ns.exec([
      addrCalls.add({ dev: 'd0', address: '10.1.2.1/24', readBack: false }),
      addrCalls.add({ dev: 'd0', address: 'fd00:2::1/64', flags: { nodad: true }, readBack: false }),
    ]);
    expect(v4).toEqual({ address: '10.1.2.1/24' });
    expect(v6).toEqual({ address: 'fd00:2::1/64' });
    expect(witness().map((x) => `${x.local}/${x.prefixlen}`)).toEqual(expect.arrayContaining(['10.1.2.1/24', 'fd00:2::1/64']));
    // The class always reads back.
    expect(await addrs.add({ dev: 'd0', address: '10.1.3.1/24', readBack: false })).toMatchObject({ kind: 'address', cidr: '10.1.3.1/24' });
  });

  it('adds an IPv6 address with nodad and sees the flag through the library and ip', async () => {
    const a = await addrs.add({ dev: 'd0', address: 'fd00:1::5/64', flags: { nodad: true } });
    expect(a).toMatchObject({ family: 6, address: 'fd00:1::5', prefixLength: 64, scope: 'global' });
    expect(a.flags.nodad).toBe(true);
    expect(a.flags.tentative).toBe(false);
    expect(witness()).toContainEqual(expect.objectContaining({ family: 'inet6', local: 'fd00:1::5', prefixlen: 64, nodad: true }));
    const v6 = await addrs.list({ index, family: 6 });
    expect(v6.map((x) => x.cidr)).toContain('fd00:1::5/64');
    expect(v6.every((x) => x.family === 6)).toBe(true);
    // Filtering by family leaves the other family out.
    expect((await addrs.list({ family: 4 })).some((x) => x.family === 6)).toBe(false);
    await addrs.delete({ dev: 'd0', address: 'fd00:1::5/64' });
    expect(witness().some((x) => x.local === 'fd00:1::5')).toBe(false);
  });

  it('lists addresses of every interface, loopback included', async () => {
    await addrs.add({ dev: 'd0', address: '10.1.1.1/24' });
    const all = await addrs.list();
    expect(all.map((x) => x.cidr)).toEqual(expect.arrayContaining(['127.0.0.1/8', '10.1.1.1/24']));
    expect(all.find((x) => x.address === '127.0.0.1')?.scope).toBe('host');
  });

  it('refuses a duplicate with AlreadyExistsError and updates it with replace', async () => {
    await addrs.add({ dev: 'd0', address: '10.1.2.1/24' });
    await expect(addrs.add({ dev: 'd0', address: '10.1.2.1/24' })).rejects.toBeInstanceOf(AlreadyExistsError);
    const a = await addrs.add({ dev: 'd0', address: '10.1.2.1/24', replace: true, validLifetime: 3600, preferredLifetime: 1800 });
    expect(a.validLifetime).toBeGreaterThan(3500);
    expect(a.preferredLifetime).toBeGreaterThan(1700);
  });

  it('rejects bad input with ValidationError before anything changes', async () => {
    const before = snapshot(NS);
    for (const bad of ['10.1.0.1', '10.1.0.300/24', '10.1.0.1/33', 'fd00::1/129', 'nonsense', ''])
      await expect(addrs.add({ dev: 'd0', address: bad })).rejects.toBeInstanceOf(ValidationError);
    await expect(addrs.add({ dev: 'bad name', address: '10.0.0.1/24' })).rejects.toBeInstanceOf(ValidationError);
    await expect(addrs.add({ address: '10.0.0.1/24' })).rejects.toBeInstanceOf(ValidationError);
    expect(() => addrCalls.add({ dev: 'd0', address: 'fd00::1/64', broadcast: true })).toThrow(ValidationError);
    // The core checks again for callers that bypass the builders.
    await expect(ns.exec([{ op: 'addr.add', args: { dev: 'd0', address: '10.1.0.1/99' } }])).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(snapshot(NS)).toBe(before);
  });

  it('reports an unknown device as NotFoundError and changes nothing', async () => {
    const before = snapshot(NS);
    await expect(addrs.add({ dev: 'nosuch0', address: '10.9.0.1/24' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(addrs.add({ index: 9999, address: '10.9.0.1/24' })).rejects.toBeInstanceOf(NotFoundError);
    expect(snapshot(NS)).toBe(before);
  });

  it('undoes an added address when a later call in the plan fails', async () => {
    const before = snapshot(NS);
    const plan = ns.plan();
    plan.add(addrCalls.add({ dev: 'd0', address: '10.1.3.1/24' }));
    plan.add(addrCalls.add({ dev: 'd0', address: 'fd00:3::1/64', flags: { nodad: true } }));
    plan.add(addrCalls.add({ dev: 'nosuch0', address: '10.1.4.1/24' }));
    const err = await plan.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).planIndex).toBe(2);
    expect(witness().some((x) => x.local === '10.1.3.1' || x.local === 'fd00:3::1')).toBe(false);
    expect(snapshot(NS)).toBe(before);
  });

  it('puts a deleted address back when a later call in the plan fails', async () => {
    await addrs.add({ dev: 'd0', address: '10.1.5.1/24', broadcast: '10.1.5.255' });
    const before = snapshot(NS);
    const plan = ns.plan();
    plan.add(addrCalls.delete({ dev: 'd0', address: '10.1.5.1/24' }));
    plan.add(addrCalls.delete({ dev: 'd0', address: '10.1.6.1/24' }));
    await expect(plan.run()).rejects.toMatchObject({ planIndex: 1 });
    expect(snapshot(NS)).toBe(before);
  });
});
