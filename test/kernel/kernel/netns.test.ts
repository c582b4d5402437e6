import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Netns, Plan, linkCalls, netnsCalls, Sysctl, ValidationError, AlreadyExistsError, listenTcp, connectTcp, type NativeNetns } from '../../../src/index.js';
import { Links } from '../../../src/rtnl/link.js';
import { assertSandbox, ip } from '../support/witness.js';

beforeAll(assertSandbox);

const made: Netns[] = [];
afterEach(async () => {
  for (const ns of made.splice(0)) await ns.delete();
});

describe('network namespaces', () => {
  it('creates a named namespace that ip netns sees, with lo up, and deletes it', async () => {
    const ns = await Netns.create({ name: 'np-ns-a' });
    made.push(ns);
    expect(ip(undefined, 'netns', 'list')).toContain('np-ns-a');
    expect(await Netns.list()).toContain('np-ns-a');
    expect(ip('np-ns-a', 'link', 'show', 'lo')).toMatch(/UP/);
    await ns.delete();
    made.pop();
    expect(await Netns.list()).not.toContain('np-ns-a');
    expect(ip(undefined, 'netns', 'list')).not.toContain('np-ns-a');
  });

  it('brings lo up as part of netns.create in a plan, and reports each call\'s time on the worker', async () => {
    const plan = new Plan(null);
    const named = plan.add(netnsCalls.create({ name: 'np-ns-lo', loopbackUp: true }));
    plan.add(netnsCalls.create({ loopbackUp: true }));
    plan.add(netnsCalls.create({ name: 'np-ns-down' }));
    plan.add({ op: 'link.get', args: { name: 'lo' } }, named);
    const { results, timings } = await plan.run({ timings: true });
    const [up, anonymous, down] = results as [NativeNetns, NativeNetns, NativeNetns];
    const upNs = Netns.fromHandle(up, { name: 'np-ns-lo', owned: true });
    made.push(upNs, Netns.fromHandle(down, { name: 'np-ns-down', owned: true }));
    expect(timings).toHaveLength(4);
    for (const t of timings) expect(t).toBeGreaterThanOrEqual(0);
    expect(results[3]).toMatchObject({ name: 'lo', up: true });
    expect(ip('np-ns-down', 'link', 'show', 'lo')).not.toMatch(/[<,]UP[,>]/);
    expect(await new Links(Netns.fromHandle(anonymous)).get('lo')).toMatchObject({ up: true });
    anonymous.close();
    // The untimed form still resolves to the plain results.
    const [again] = await upNs.exec([{ op: 'link.get', args: { name: 'lo' } }]);
    expect(again).toMatchObject({ name: 'lo' });
  });

  it('refuses a duplicate name with a typed error and leaves the first intact', async () => {
    const ns = await Netns.create({ name: 'np-ns-dup' });
    made.push(ns);
    await expect(Netns.create({ name: 'np-ns-dup' })).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(await Netns.list()).toContain('np-ns-dup');
  });

  it('rejects names that would escape /run/netns before touching anything', async () => {
    for (const bad of ['../etc', 'a/b', '.', '..', '', 'x\0y'])
      await expect(Netns.create({ name: bad })).rejects.toBeInstanceOf(ValidationError);
  });

  it('anonymous namespaces are private to their handle and keep their own sysctls', async () => {
    const a = await Netns.create();
    const b = await Netns.create();
    try {
      expect(a.handle.inode).not.toBe(b.handle.inode);
      await new Sysctl(a).set('net.ipv4.ip_forward', 1);
      expect(await new Sysctl(a).get('net.ipv4.ip_forward')).toBe('1');
      expect(await new Sysctl(b).get('net.ipv4.ip_forward')).toBe('0');
    } finally {
      a.close();
      b.close();
    }
  });

  it('opens a namespace by name, by path and by pid', async () => {
    const ns = await Netns.create({ name: 'np-ns-open' });
    made.push(ns);
    const byName = await Netns.open('np-ns-open');
    const byPath = await Netns.open({ path: '/run/netns/np-ns-open' });
    const self = await Netns.open({ pid: process.pid });
    expect(byName.handle.inode).toBe(ns.handle.inode);
    expect(byPath.handle.inode).toBe(ns.handle.inode);
    expect(self.handle.inode).toBe(Netns.host().handle.inode);
    for (const h of [byName, byPath, self]) h.close();
    await expect(Netns.open({ path: '/proc/self/status' })).rejects.toThrow(/not a network namespace/);
  });

  it('serves and connects over loopback inside a namespace from this one process', async () => {
    const ns = await Netns.create();
    try {
      const server = await listenTcp(ns, { address: '127.0.0.1', port: 8080 }, (s) => s.end('from inside'));
      const sock = await connectTcp(ns, { host: '127.0.0.1', port: 8080 });
      const chunks: Buffer[] = [];
      sock.on('data', (d: Buffer) => chunks.push(d));
      await new Promise((r) => sock.on('end', r));
      expect(Buffer.concat(chunks).toString()).toBe('from inside');
      server.close();
      // The same port on the host's loopback is closed: the server lives only inside.
      await expect(connectTcp(Netns.host(), { host: '127.0.0.1', port: 8080 })).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
    } finally {
      ns.close();
    }
  });

  it('exchanges UDP datagrams inside a namespace through sockets node:dgram adopted', async () => {
    const ns = await Netns.create();
    try {
      const a = await ns.bindUdp({ address: '127.0.0.1', port: 5353 });
      const b = await ns.bindUdp({ address: '127.0.0.1' });
      const got = new Promise<string>((resolve) => a.once('message', (m) => resolve(m.toString())));
      b.send('query', 5353, '127.0.0.1');
      expect(await got).toBe('query');
      a.close();
      b.close();
    } finally {
      ns.close();
    }
  });
});

describe('netns.release', () => {
  // The links named in downIfHeld stand for a sandbox's host ends: a bridge in
  // this namespace, up. The namespaces are made with no call inside them: any
  // call there (a socket opened in it, a veth end put in it) leaves the
  // kernel a reference that it drops only later, in deferred work (measured:
  // under 50 ms), and that reference rightly counts as "held".
  const LINK = 'np-rel-link';
  const host = Netns.host();
  beforeAll(async () => {
    await host.exec([linkCalls.addBridge({ name: LINK, up: true })]);
  });
  afterAll(async () => {
    await host.exec([linkCalls.delete(LINK, { ifExists: true })]);
  });
  const isUp = (): boolean => /[<,]UP[,>]/.test(ip(undefined, 'link', 'show', LINK));

  it('deletes the name, and leaves the links alone when nobody else holds the namespace', async () => {
    (await Netns.create({ name: 'np-rel-a', loopbackUp: false })).close();
    const [r] = await host.exec([netnsCalls.release('np-rel-a', { downIfHeld: [LINK] })]);
    expect(r).toEqual({ removed: true, held: false });
    expect(await Netns.list()).not.toContain('np-rel-a');
    expect(isUp()).toBe(true);
  });

  it('takes the links down when someone else still holds the namespace', async () => {
    (await Netns.create({ name: 'np-rel-b', loopbackUp: false })).close();
    const holder = await Netns.open('np-rel-b');
    try {
      const [r] = await host.exec([netnsCalls.release('np-rel-b', { downIfHeld: [LINK] })]);
      expect(r).toEqual({ removed: true, held: true });
      expect(await Netns.list()).not.toContain('np-rel-b');
      expect(isUp()).toBe(false);
    } finally {
      holder.close();
      await host.exec([linkCalls.set(LINK, { up: true })]);
    }
  });

  it('takes the links down when the name is gone already, and refuses a missing name without ifExists', async () => {
    const [r] = await host.exec([netnsCalls.release('np-rel-c', { ifExists: true, downIfHeld: [LINK, 'no-such-link'] })]);
    expect(r).toEqual({ removed: false, held: true });
    expect(isUp()).toBe(false);
    await host.exec([linkCalls.set(LINK, { up: true })]);
    await expect(host.exec([netnsCalls.release('np-rel-c')])).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
