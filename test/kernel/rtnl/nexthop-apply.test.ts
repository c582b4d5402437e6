// Nexthop objects and rtnl.apply (many routes, neighbours, FDB entries and
// nexthops in one call, all or nothing), checked against iproute2.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlreadyExistsError, Netns, NotFoundError, ValidationError, linkCalls, neighCalls, routeCalls } from '../../../src/index.js';
import { nexthopCalls } from '../../../src/rtnl/nexthop.js';
import { rtnlCalls, rtnlChange } from '../../../src/rtnl/apply.js';
import { addrCalls } from '../../../src/rtnl/addr.js';
import { execFileSync } from 'node:child_process';
import { assertSandbox, ipJson } from '../support/witness.js';

beforeAll(assertSandbox);

const NS = 'np-nhapply';
let ns: Netns;

interface IpNexthop { id: number; gateway?: string; dev?: string; flags: string[] }
interface IpRoute { dst: string; gateway?: string; dev?: string; nhid?: number; flags: string[] }
interface IpNeigh { dst?: string; lladdr?: string; mac?: string; dev?: string; state?: string[]; flags?: string[] }

const nexthops = (): IpNexthop[] => ipJson<IpNexthop[]>(NS, 'nexthop', 'show');
const vxRoutes = (): IpRoute[] => ipJson<IpRoute[]>(NS, 'route', 'show', 'dev', 'vx0');
const vxNeigh = (): IpNeigh[] => ipJson<IpNeigh[]>(NS, 'neigh', 'show', 'dev', 'vx0');
const vxFdb = (): IpNeigh[] =>
  (JSON.parse(execFileSync('bridge', ['-n', NS, '-j', 'fdb', 'show', 'dev', 'vx0'], { encoding: 'utf8' }) || '[]') as IpNeigh[]);


const mac = (i: number) => `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
const vtep = (i: number) => `10.244.${i}.0`;

/** The three objects of one remote host of a flannel-style overlay. */
function peer(i: number, nexthop: boolean) {
  const changes = [];
  if (nexthop) changes.push(rtnlChange.add(nexthopCalls.add({ id: i, gateway: vtep(i), dev: 'vx0', onlink: true })));
  changes.push(
    rtnlChange.add(routeCalls.add(nexthop ? { destination: `${vtep(i)}/24`, nhid: i } : { destination: `${vtep(i)}/24`, gateway: vtep(i), dev: 'vx0', onlink: true })),
    rtnlChange.add(neighCalls.add({ dev: 'vx0', address: vtep(i), lladdr: mac(i), state: 'permanent' })),
    rtnlChange.add(neighCalls.add({ family: 'bridge', dev: 'vx0', lladdr: mac(i), dst: `192.0.2.${i}`, state: 'permanent' })),
  );
  return changes;
}

beforeEach(async () => {
  ns = await Netns.create({ name: NS });
  await ns.exec([
    linkCalls.addVeth({ name: 'ul0', up: true, peer: { name: 'ul1', up: true } }),
    addrCalls.add({ dev: 'ul0', address: '192.0.2.250/24' }),
    linkCalls.addVxlan({ name: 'vx0', vni: 42, local: '192.0.2.250', port: 4789, learning: false, up: true }),
  ]);
});
afterEach(async () => {
  await ns.delete();
});

describe('nexthop objects', () => {
  it('adds a gateway nexthop onlink, routes through it by id, lists and deletes it', async () => {
    await ns.nexthops.add({ id: 7, gateway: '10.244.9.0', dev: 'vx0', onlink: true });
    await ns.routes.add({ destination: '10.244.9.0/24', nhid: 7 });
    expect(nexthops()).toEqual([expect.objectContaining({ id: 7, gateway: '10.244.9.0', dev: 'vx0', flags: ['onlink'] })]);
    expect(vxRoutes()).toContainEqual(expect.objectContaining({ dst: '10.244.9.0/24', nhid: 7 }));
    const [listed] = await ns.nexthops.list({ dev: 'vx0' });
    expect(listed).toMatchObject({ kind: 'nexthop', id: 7, gateway: '10.244.9.0', onlink: true, blackhole: false, family: 4 });
    const route = (await ns.routes.list({ family: 4 })).find((r) => r.destination === '10.244.9.0/24');
    expect(route?.nhid).toBe(7);
    expect(await ns.nexthops.delete(7)).toBe(true);
    // The kernel takes the routes that used it away with it.
    expect(nexthops()).toEqual([]);
    expect(vxRoutes().filter((r) => r.dst === '10.244.9.0/24')).toEqual([]);
    expect(await ns.nexthops.delete(7, { ifExists: true })).toBe(false);
    await expect(ns.nexthops.delete(7)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a second nexthop with the same id, and bad input before the kernel', async () => {
    await ns.nexthops.add({ id: 3, blackhole: true });
    await expect(ns.nexthops.add({ id: 3, gateway: '10.244.3.0', dev: 'vx0', onlink: true })).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(() => nexthopCalls.add({ id: 0, dev: 'vx0' })).toThrow(ValidationError);
    expect(() => nexthopCalls.add({ id: 4, dev: 'vx0', onlink: true })).toThrow(/onlink needs a gateway/);
    expect(() => routeCalls.add({ destination: '10.1.0.0/24', nhid: 4, gateway: '10.0.0.1' })).toThrow(/nhid/);
  });

  it('is undone with a failing plan', async () => {
    await expect(
      ns.exec([nexthopCalls.add({ id: 11, gateway: '10.244.11.0', dev: 'vx0', onlink: true }), linkCalls.get('nope0')]),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(nexthops()).toEqual([]);
  });
});

describe('rtnl.apply', () => {
  it('programs 3 objects per remote host for 50 hosts in one call, and removes them again', async () => {
    const hosts = Array.from({ length: 50 }, (_, i) => i + 1);
    const [n] = await ns.exec([rtnlCalls.apply(hosts.flatMap((i) => peer(i, false)))]);
    expect(n).toBe(150);
    expect(vxRoutes()).toHaveLength(50);
    expect(vxRoutes()).toContainEqual(expect.objectContaining({ dst: '10.244.17.0/24', gateway: '10.244.17.0', flags: ['onlink'] }));
    const neigh = vxNeigh();
    expect(neigh).toHaveLength(50);
    expect(neigh.every((e) => e.state?.includes('PERMANENT'))).toBe(true);
    const fdb = vxFdb();
    expect(fdb).toHaveLength(50);
    expect(fdb).toContainEqual(expect.objectContaining({ mac: mac(17), dst: '192.0.2.17', state: 'permanent' }));
    expect(fdb.some((e) => e.mac === '00:00:00:00:00:00')).toBe(false);

    const removal = hosts.flatMap((i) => peer(i, false).map((c) => ({ ...c, action: 'delete' as const }))).reverse();
    const [gone] = await ns.exec([rtnlCalls.apply(removal)]);
    expect(gone).toBe(150);
    expect(vxRoutes()).toEqual([]);
    expect(vxNeigh()).toEqual([]);
    expect(vxFdb()).toEqual([]);
  });

  it('routes through nexthop objects the same way', async () => {
    const [n] = await ns.exec([rtnlCalls.apply([1, 2, 3].flatMap((i) => peer(i, true)))]);
    expect(n).toBe(12);
    expect(nexthops().map((h) => h.id).sort()).toEqual([1, 2, 3]);
    expect(vxRoutes().map((r) => r.nhid).sort()).toEqual([1, 2, 3]);
  });

  it('is all or nothing: a refused change takes back the ones applied before it', async () => {
    await ns.exec([rtnlCalls.apply(peer(5, false))]);
    const before = [vxRoutes(), vxNeigh(), vxFdb()];
    // Host 6 is new, host 5 is there already: its route add is refused.
    const err = await ns.exec([rtnlCalls.apply([...peer(6, false), ...peer(5, false)])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect((err as Error).message).toMatch(/change 3 of 6/);
    expect([vxRoutes(), vxNeigh(), vxFdb()]).toEqual(before);
  });

  it('is taken back when a later call of its plan fails', async () => {
    await expect(ns.exec([rtnlCalls.apply(peer(8, false)), linkCalls.get('nope0')])).rejects.toBeInstanceOf(NotFoundError);
    expect([vxRoutes(), vxNeigh(), vxFdb()]).toEqual([[], [], []]);
  });

  it('replaces a route in place and skips deletes of what is absent with ifExists', async () => {
    await ns.exec([rtnlCalls.apply(peer(9, false))]);
    const moved = routeCalls.add({ destination: '10.244.9.0/24', gateway: '10.244.99.0', dev: 'vx0', onlink: true });
    const old = routeCalls.add({ destination: '10.244.9.0/24', gateway: '10.244.9.0', dev: 'vx0', onlink: true });
    const [n] = await ns.exec([
      rtnlCalls.apply([
        rtnlChange.replace(moved, old),
        rtnlChange.remove(neighCalls.add({ dev: 'vx0', address: '10.244.77.0', lladdr: mac(77) }), { ifExists: true }),
      ]),
    ]);
    expect(n).toBe(1);
    expect(vxRoutes()).toEqual([expect.objectContaining({ dst: '10.244.9.0/24', gateway: '10.244.99.0' })]);
  });

  it('refuses a change that is not a route, neighbour or nexthop add', () => {
    expect(() => rtnlChange.add(linkCalls.get('vx0'))).toThrow(ValidationError);
  });
});
