// macvlan and ipvlan networks: sandboxes addressed on their parent's own
// network, no bridge, no NAT. Two hosts (namespaces) have eth1 on one
// segment (a bridge in a namespace of its own) with a "router" namespace;
// sandboxes on the two hosts reach each other and the router with their own
// addresses. ipvlan and 802.1Q parents need CONFIG_IPVLAN / CONFIG_VLAN_8021Q:
// where the kernel lacks them, the test proves the refusal instead (and that
// nothing changed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addrCalls, KernelError, linkCalls, Netns } from '../../../src/index.js';
import type { Engine, SandboxInfo } from '../../../src/model/index.js';
import { ipJson, snapshot, assertSandbox } from '../support/witness.js';
import { TempState } from '../model/support/engine.js';
import { exchange, serve } from '../model/support/traffic.js';

const SUBNET = '198.51.100.0/24';
const ROUTER = '198.51.100.1';
/** A second network on the same segment, for ipvlan (one host's subnets must not overlap). */
const SUBNET2 = '203.0.113.0/25';
const ROUTER2 = '203.0.113.1';

let seg: Netns;
let router: Netns;
const hosts: Netns[] = [];
const names = ['npm-h1', 'npm-h2'];
const states: TempState[] = [];
const engines: Engine[] = [];
const before = new Map<string, string>();
const closers: { close(): unknown }[] = [];
let ipvlan = false;

beforeAll(async () => {
  assertSandbox();
  seg = await Netns.create({ name: 'npm-seg' });
  await seg.exec([linkCalls.addBridge({ name: 'seg', up: true, addrGenMode: 'none' })]);
  router = await Netns.create({ name: 'npm-rt' });
  await seg.exec([linkCalls.addVeth({ name: 'p-rt', master: 'seg', up: true, addrGenMode: 'none', peer: { name: 'eth0', netns: router, up: true, addrGenMode: 'none' } })]);
  await router.exec([addrCalls.add({ dev: 'eth0', address: `${ROUTER}/24` }), addrCalls.add({ dev: 'eth0', address: `${ROUTER2}/25` })]);
  for (const [i, name] of names.entries()) {
    const h = await Netns.create({ name });
    hosts.push(h);
    // eth1 for macvlan, eth2 for ipvlan: a device carries one kind of stacked link.
    for (const dev of ['eth1', 'eth2'])
      await seg.exec([linkCalls.addVeth({ name: `p-h${i + 1}-${dev}`, master: 'seg', up: true, addrGenMode: 'none', peer: { name: dev, netns: h, up: true, addrGenMode: 'none' } })]);
    before.set(name, snapshot(name));
    const state = await TempState.create('np-stacked-');
    states.push(state);
    engines.push(await state.open(h, { dns: false }));
  }
  try {
    await hosts[0]!.exec([linkCalls.addIpvlan({ name: 'probe0', parent: 'eth2' }), linkCalls.delete('probe0')]);
    ipvlan = true;
  } catch (e) {
    if (!(e instanceof KernelError && e.errno === 95)) throw e;
  }
});

afterAll(async () => {
  for (const c of closers) c.close();
  for (const e of engines) await e.close();
  for (const h of hosts) await h.delete();
  await router?.delete();
  await seg?.delete();
  for (const s of states) await s.remove();
});

async function sandboxNs(info: SandboxInfo): Promise<Netns> {
  const n = await Netns.open({ path: info.netnsPath });
  closers.push(n);
  return n;
}

describe('macvlan networks', () => {
  it('refuses a missing parent, and a second network on the same parent with an overlapping subnet', async () => {
    await expect(engines[0]!.networks.create({ name: 'mvx', driver: 'macvlan', subnet: SUBNET, options: { parent: 'eth9' } })).rejects.toMatchObject({
      name: 'ValidationError', message: expect.stringMatching(/parent eth9 does not exist/),
    });
    await engines[0]!.networks.create({ name: 'mv', driver: 'macvlan', subnet: SUBNET, gateway: ROUTER, ipRange: '198.51.100.64/28', options: { parent: 'eth1' } });
    await expect(engines[0]!.networks.create({ name: 'mv2', driver: 'macvlan', subnet: '198.51.100.128/25', options: { parent: 'eth1' } })).rejects.toMatchObject({
      name: 'ConflictError', reason: 'subnet-in-use',
    });
    await engines[1]!.networks.create({ name: 'mv', driver: 'macvlan', subnet: SUBNET, gateway: ROUTER, ipRange: '198.51.100.80/28', options: { parent: 'eth1', macvlan_mode: 'bridge' } });
    expect((await engines[0]!.networks.inspect('mv')).Driver).toBe('macvlan');
  });

  it('makes no bridge and no firewall, and refuses published ports', async () => {
    expect(ipJson<{ ifname: string }[]>(names[0], 'link', 'show', 'type', 'bridge')).toEqual([]);
    await expect(engines[0]!.sandboxes.create({ name: 'pub', network: 'mv', publish: ['8080:80'] })).rejects.toMatchObject({ name: 'ValidationError', field: 'publish' });
  });

  it('puts sandboxes of two hosts on the parent segment: they reach each other and the router with their own addresses', async () => {
    const m1 = await engines[0]!.sandboxes.create({ name: 'm1', network: 'mv' });
    const m2 = await engines[1]!.sandboxes.create({ name: 'm2', network: 'mv' });
    const [a1, a2] = [m1.networks[0]!.ipv4, m2.networks[0]!.ipv4];
    // Each host hands out addresses from its own --ip-range of the segment.
    expect(a1).toBe('198.51.100.64');
    expect(a2).toBe('198.51.100.80');
    const [link] = ipJson<{ link_netnsid?: number; linkinfo: { info_kind: string; info_data: { mode: string } } }[]>(m1.netnsName, '-d', 'link', 'show', 'eth0');
    expect(link!.linkinfo).toMatchObject({ info_kind: 'macvlan', info_data: { mode: 'bridge' } });
    const n1 = await sandboxNs(m1);
    const n2 = await sandboxNs(m2);
    closers.push(await serve(n2, 7000, 'm2'), await serve(router, 7000, 'router'), await serve(n1, 7000, 'm1'));
    expect(await exchange(n1, a2, 7000, 'hi')).toBe(`m2 saw ${a1}: hi`);
    expect(await exchange(n1, ROUTER, 7000, 'hi')).toBe(`router saw ${a1}: hi`);
    // No NAT on the way in either: the router reaches the sandbox at its own address.
    expect(await exchange(router, a1, 7000, 'back')).toBe(`m1 saw ${ROUTER}: back`);
    expect(await exchange(n2, ROUTER, 7000, 'hi')).toBe(`router saw ${a2}: hi`);
  });

  it('disconnects and connects a sandbox without a host end', async () => {
    await engines[0]!.sandboxes.disconnect('m1', 'mv');
    expect(ipJson<{ ifname: string }[]>((await engines[0]!.sandboxes.inspect('m1')).netnsName, 'link', 'show').map((l) => l.ifname)).toEqual(['lo']);
    const again = await engines[0]!.sandboxes.connect('m1', 'mv', { ip: '198.51.100.70' });
    expect(again.networks[0]!.ipv4).toBe('198.51.100.70');
    expect(ipJson<{ ifname: string }[]>(again.netnsName, 'link', 'show').map((l) => l.ifname)).toEqual(['lo', 'eth0']);
  });
});

describe('ipvlan networks', () => {
  it('puts sandboxes on the parent segment in l2 mode (or, on a kernel without ipvlan, refuses the network and changes nothing)', async () => {
    const create = (i: number, range: string) =>
      engines[i]!.networks.create({ name: 'iv', driver: 'ipvlan', subnet: SUBNET2, gateway: ROUTER2, ipRange: range, options: { parent: 'eth2', ipvlan_mode: 'l2' } });
    if (!ipvlan) {
      const was = snapshot(names[0]);
      await expect(create(0, '203.0.113.32/28')).rejects.toMatchObject({ name: 'ValidationError', field: 'driver', message: expect.stringMatching(/CONFIG_IPVLAN/) });
      expect(snapshot(names[0])).toBe(was);
      expect((await engines[0]!.networks.list()).map((n) => n.Name)).not.toContain('iv');
      return;
    }
    await create(0, '203.0.113.32/28');
    await create(1, '203.0.113.48/28');
    const s1 = await engines[0]!.sandboxes.create({ name: 'v1', network: 'iv' });
    const s2 = await engines[1]!.sandboxes.create({ name: 'v2', network: 'iv' });
    const n1 = await sandboxNs(s1);
    closers.push(await serve(await sandboxNs(s2), 7001, 'v2'), await serve(router, 7001, 'router'));
    expect(await exchange(n1, s2.networks[0]!.ipv4, 7001, 'hi')).toBe(`v2 saw ${s1.networks[0]!.ipv4}: hi`);
    expect(await exchange(n1, ROUTER2, 7001, 'hi')).toBe(`router saw ${s1.networks[0]!.ipv4}: hi`);
    await engines[0]!.sandboxes.remove('v1');
    await engines[1]!.sandboxes.remove('v2');
    await engines[0]!.networks.remove('iv');
    await engines[1]!.networks.remove('iv');
  });

  it('makes an 802.1Q parent named eth1.100 and deletes it with the network (or, without CONFIG_VLAN_8021Q, refuses)', async () => {
    const was = snapshot(names[0]);
    const create = engines[0]!.networks.create({ name: 'mv100', driver: 'macvlan', subnet: '203.0.113.128/25', options: { parent: 'eth1.100' } });
    const made = await create.then(() => true, (e: unknown) => e);
    if (made !== true) {
      expect(made).toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/802\.1Q|CONFIG_VLAN_8021Q/) });
      expect(snapshot(names[0])).toBe(was);
      return;
    }
    const [v] = ipJson<{ linkinfo: { info_kind: string; info_data: { id: number } } }[]>(names[0], '-d', 'link', 'show', 'eth1.100');
    expect(v!.linkinfo).toMatchObject({ info_kind: 'vlan', info_data: { id: 100 } });
    await engines[0]!.networks.remove('mv100');
    expect(snapshot(names[0])).toBe(was);
  });
});

describe('teardown', () => {
  it('returns both hosts to what they were', async () => {
    for (const c of closers.splice(0)) c.close();
    await engines[0]!.sandboxes.remove('m1');
    await engines[1]!.sandboxes.remove('m2');
    for (const e of engines) await e.networks.remove('mv');
    // A macvlan inside a deleted namespace goes in the kernel's background clean-up, and only then gives its parent's promiscuity back.
    for (const name of names) await expect.poll(() => snapshot(name), { timeout: 10_000 }).toBe(before.get(name));
  });
});
