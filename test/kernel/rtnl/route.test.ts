import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Netns, Sysctl, ValidationError, NotFoundError, AlreadyExistsError, listenTcp, connectTcp } from '../../../src/index.js';
import { Addresses } from '../../../src/rtnl/addr.js';
import { Routes, routeCalls, type Route } from '../../../src/rtnl/route.js';
import { Links } from '../../../src/rtnl/link.js';
import { assertSandbox, ipJson, snapshot } from '../support/witness.js';

beforeAll(assertSandbox);

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  table?: string;
  type?: string;
  protocol?: string;
  prefsrc?: string;
  scope?: string;
  flags: string[];
  mtu?: number;
  metrics?: { mtu?: number }[];
}

const NS = 'np-route';
let ns: Netns;
let routes: Routes;
let index: number;

const v4 = (): IpRoute[] => ipJson<IpRoute[]>(NS, 'route', 'show', 'table', 'all');
const v6 = (): IpRoute[] => ipJson<IpRoute[]>(NS, '-6', 'route', 'show', 'table', 'all');

beforeEach(async () => {
  ns = await Netns.create({ name: NS });
  routes = new Routes(ns);
  // No dummy driver here: a veth pair with both ends up stands in for one.
  index = (await new Links(ns).addVeth({ name: 'd0', up: true, peer: { name: 'd0p', up: true } })).index;
  const addrs = new Addresses(ns);
  await addrs.add({ dev: 'd0', address: '10.2.0.1/24' });
  await addrs.add({ dev: 'd0', address: 'fd00:2::1/64', flags: { nodad: true } });
});
afterEach(async () => {
  await ns.delete();
});

describe('routes', () => {
  it('adds a default route via a gateway, a prefix route with a metric, a table-100 route and a blackhole', async () => {
    await routes.add({ destination: 'default', gateway: '10.2.0.254' });
    await routes.add({ destination: '10.20.0.0/16', gateway: '10.2.0.253', dev: 'd0', metric: 50, src: '10.2.0.1' });
    await routes.add({ destination: '10.30.0.0/24', dev: 'd0', table: 100 });
    await routes.add({ destination: '10.40.0.0/24', type: 'blackhole' });
    await routes.add({ destination: '10.50.0.0/24', gateway: '10.2.0.252', table: 70000, protocol: 'static', mtu: 1400 });
    const w = v4();
    expect(w).toContainEqual(expect.objectContaining({ dst: 'default', gateway: '10.2.0.254', dev: 'd0' }));
    expect(w).toContainEqual(
      expect.objectContaining({ dst: '10.20.0.0/16', gateway: '10.2.0.253', metric: 50, prefsrc: '10.2.0.1' }),
    );
    expect(w).toContainEqual(expect.objectContaining({ dst: '10.30.0.0/24', dev: 'd0', table: '100', scope: 'link' }));
    expect(w).toContainEqual(expect.objectContaining({ dst: '10.40.0.0/24', type: 'blackhole' }));
    expect(w).toContainEqual(expect.objectContaining({ dst: '10.50.0.0/24', table: '70000', protocol: 'static' }));

    const mine = await routes.list({ family: 4 });
    expect(mine).toContainEqual(
      expect.objectContaining({ kind: 'route', family: 4, destination: 'default', gateway: '10.2.0.254', index, table: 254, type: 'unicast', protocol: 'boot', scope: 'universe' }),
    );
    expect(mine).toContainEqual(expect.objectContaining({ destination: '10.20.0.0/16', metric: 50, src: '10.2.0.1' }));
    expect(mine).toContainEqual(expect.objectContaining({ destination: '10.40.0.0/24', type: 'blackhole' }));
    expect(mine).toContainEqual(expect.objectContaining({ destination: '10.50.0.0/24', table: 70000, mtu: 1400, protocol: 'static' }));
    const t100 = await routes.list({ table: 100 });
    expect(t100.map((r) => r.destination)).toEqual(['10.30.0.0/24']);
    expect(t100[0]).toMatchObject({ scope: 'link', table: 100, index });
    expect((await routes.list({ table: 70000 })).map((r) => r.destination)).toEqual(['10.50.0.0/24']);
    const main = await routes.list({ table: 'main', family: 4 });
    expect(main.every((r) => r.table === 254)).toBe(true);
  });

  it('adds and deletes IPv6 routes', async () => {
    await routes.add({ destination: 'fd00:99::/64', gateway: 'fd00:2::fe', metric: 10 });
    await routes.add({ destination: 'default', gateway: 'fd00:2::fe', dev: 'd0' });
    await routes.add({ destination: 'fd00:98::/64', type: 'blackhole', table: 100 });
    const w = v6();
    expect(w).toContainEqual(expect.objectContaining({ dst: 'fd00:99::/64', gateway: 'fd00:2::fe', metric: 10 }));
    expect(w).toContainEqual(expect.objectContaining({ dst: 'default', gateway: 'fd00:2::fe', dev: 'd0' }));
    expect(w).toContainEqual(expect.objectContaining({ dst: 'fd00:98::/64', type: 'blackhole', table: '100' }));
    const listed = await routes.list({ family: 6 });
    expect(listed).toContainEqual(expect.objectContaining({ family: 6, destination: 'fd00:99::/64', gateway: 'fd00:2::fe', metric: 10 }));
    expect(listed).toContainEqual(expect.objectContaining({ destination: 'default', metric: 1024 }));
    expect(listed.every((r) => r.family === 6)).toBe(true);
    const old = await routes.replace({ destination: 'default', gateway: 'fd00:2::fd', dev: 'd0' });
    expect(old).toMatchObject({ family: 6, destination: 'default', gateway: 'fd00:2::fe', metric: 1024 });
    expect(v6().filter((r) => r.dst === 'default').map((r) => r.gateway)).toEqual(['fd00:2::fd']);
    expect(await routes.delete({ destination: 'fd00:99::/64', gateway: 'fd00:2::fe', metric: 10 })).toBe(true);
    expect(await routes.delete({ destination: 'fd00:98::/64', table: 100, type: 'blackhole' })).toBe(true);
    expect(await routes.delete({ destination: 'default', family: 6 })).toBe(true);
    const after = v6().map((r) => r.dst);
    expect(after).not.toContain('fd00:99::/64');
    expect(after).not.toContain('fd00:98::/64');
    expect(after).not.toContain('default');
  });

  it('replaces a route and undoes the replace when the plan fails', async () => {
    await routes.add({ destination: 'default', gateway: '10.2.0.254' });
    const before = snapshot(NS);
    const replaced = await routes.replace({ destination: 'default', gateway: '10.2.0.200' });
    expect(replaced).toMatchObject({ destination: 'default', gateway: '10.2.0.254' });
    expect(v4().find((r) => r.dst === 'default')?.gateway).toBe('10.2.0.200');
    expect(v4().filter((r) => r.dst === 'default')).toHaveLength(1);

    await routes.replace({ destination: 'default', gateway: '10.2.0.254' });
    expect(snapshot(NS)).toBe(before);
    const plan = ns.plan();
    plan.add(routeCalls.replace({ destination: 'default', gateway: '10.2.0.100' }));
    plan.add(routeCalls.replace({ destination: '10.60.0.0/24', gateway: '10.2.0.100' }));
    plan.add(routeCalls.add({ destination: '10.70.0.0/24', dev: 'nosuch0' }));
    await expect(plan.run()).rejects.toMatchObject({ planIndex: 2 });
    expect(snapshot(NS)).toBe(before);
    // A replace with nothing to replace resolves to null.
    expect(await routes.replace({ destination: '10.80.0.0/24', dev: 'd0' })).toBeNull();
  });

  it('puts a deleted route back when a later call in the plan fails', async () => {
    await routes.add({ destination: '10.22.0.0/16', gateway: '10.2.0.253' });
    const before = snapshot(NS);
    const plan = ns.plan();
    plan.add(routeCalls.delete({ destination: '10.22.0.0/16' }));
    plan.add(routeCalls.delete({ destination: '10.23.0.0/16' }));
    await expect(plan.run()).rejects.toMatchObject({ planIndex: 1 });
    expect(snapshot(NS)).toBe(before);
    expect(await routes.delete({ destination: '10.22.0.0/16' })).toBe(true);
  });

  it('refuses duplicates, deletes with ifExists, and reports a missing route as NotFoundError', async () => {
    await routes.add({ destination: '10.21.0.0/16', gateway: '10.2.0.253' });
    await expect(routes.add({ destination: '10.21.0.0/16', gateway: '10.2.0.253' })).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(await routes.delete({ destination: '10.21.0.0/16' })).toBe(true);
    expect(await routes.delete({ destination: '10.21.0.0/16', ifExists: true })).toBe(false);
    await expect(routes.delete({ destination: '10.21.0.0/16' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rejects bad input with ValidationError and an unknown device with NotFoundError, changing nothing', async () => {
    const before = snapshot(NS);
    const bad: Parameters<Routes['add']>[0][] = [
      { destination: '10.0.0.0/33', dev: 'd0' },
      { destination: 'nowhere', dev: 'd0' },
      { destination: '10.0.0.0/24', gateway: 'fd00::1' },
      { destination: 'default', dev: 'd0' },
      { destination: '10.0.0.0/24', dev: 'd0', table: 0 },
      { destination: '10.0.0.0/24', dev: 'd0', metric: -1 },
    ];
    for (const b of bad) await expect(routes.add(b)).rejects.toBeInstanceOf(ValidationError);
    await expect(routes.add({ destination: '10.0.0.1/24', dev: 'd0' })).rejects.toBeInstanceOf(ValidationError);
    await expect(routes.add({ destination: '10.0.0.0/24', dev: 'nosuch0' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(routes.add({ destination: '10.0.0.0/24', index: 9999 })).rejects.toBeInstanceOf(NotFoundError);
    expect(snapshot(NS)).toBe(before);
  });

  it('a plan that adds routes and then fails undoes them', async () => {
    const before = snapshot(NS);
    const plan = ns.plan();
    plan.add(routeCalls.add({ destination: '10.90.0.0/24', gateway: '10.2.0.9', table: 100 }));
    plan.add(routeCalls.add({ destination: 'fd00:90::/64', dev: 'd0' }));
    plan.add(routeCalls.add({ destination: '10.91.0.0/24', gateway: '10.99.0.1' })); // unreachable gateway
    await expect(plan.run()).rejects.toMatchObject({ planIndex: 2 });
    expect(snapshot(NS)).toBe(before);
  });

  it('carries TCP across a routed hop set up by the library', async () => {
    const a = await Netns.create({ name: 'np-hop-a' });
    const m = await Netns.create({ name: 'np-hop-m' });
    const b = await Netns.create({ name: 'np-hop-b' });
    try {
      await new Links(a).addVeth({ name: 'a0', up: true, peer: { name: 'm0', netns: m, up: true } });
      await new Links(b).addVeth({ name: 'b0', up: true, peer: { name: 'm1', netns: m, up: true } });
      await new Addresses(a).add({ dev: 'a0', address: '10.3.1.2/24' });
      await new Addresses(m).add({ dev: 'm0', address: '10.3.1.1/24' });
      await new Addresses(m).add({ dev: 'm1', address: '10.3.2.1/24' });
      await new Addresses(b).add({ dev: 'b0', address: '10.3.2.2/24' });
      await new Routes(a).add({ destination: 'default', gateway: '10.3.1.1' });
      await new Routes(b).add({ destination: '10.3.1.0/24', gateway: '10.3.2.1', dev: 'b0' });
      await new Sysctl(m).set('net.ipv4.ip_forward', 1);

      const server = await listenTcp(b, { address: '10.3.2.2', port: 7000 }, (s) => {
        s.on('data', (d: Buffer) => s.end(`echo ${d.toString()} from ${s.remoteAddress ?? '?'}`));
      });
      try {
        const sock = await connectTcp(a, { host: '10.3.2.2', port: 7000 });
        const chunks: Buffer[] = [];
        sock.on('data', (d: Buffer) => chunks.push(d));
        sock.write('hello');
        await new Promise((r) => sock.on('end', r));
        expect(Buffer.concat(chunks).toString()).toBe('echo hello from 10.3.1.2');
      } finally {
        server.close();
      }
      const ra: Route[] = await new Routes(a).list({ family: 4, table: 'main' });
      expect(ra).toContainEqual(expect.objectContaining({ destination: 'default', gateway: '10.3.1.1' }));
    } finally {
      for (const n of [a, m, b]) await n.delete();
    }
  });
});
