// Links stacked on a parent — macvlan, ipvlan, 802.1Q vlan — created straight
// into another namespace under their final name, and read back. ipvlan and
// vlan need CONFIG_IPVLAN / CONFIG_VLAN_8021Q: on a kernel without them (the
// CI machine's has neither) those tests are skipped, and say so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelError, Netns, ValidationError, linkCalls } from '../../../src/index.js';
import { assertSandbox, ipJson } from '../support/witness.js';

beforeAll(assertSandbox);

interface IpLink { ifname: string; link?: string; link_netnsid?: number; linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> } }

const HOST = 'np-stk-host';
const CT = 'np-stk-ct';
let host: Netns;
let ct: Netns;

/** Whether this kernel can make links of `kind` (EOPNOTSUPP "Unknown device type" when it cannot). */
async function supports(kind: 'ipvlan' | 'vlan'): Promise<boolean> {
  const call = kind === 'ipvlan' ? linkCalls.addIpvlan({ name: 'np-probe', parent: 'p0' }) : linkCalls.addVlan({ name: 'np-probe', parent: 'p0', id: 4094 });
  try {
    await host.exec([call, linkCalls.delete('np-probe')]);
    return true;
  } catch (e) {
    if (e instanceof KernelError && e.errno === 95) return false;
    throw e;
  }
}

let ipvlan = false;
let vlan = false;

beforeAll(async () => {
  host = await Netns.create({ name: HOST });
  ct = await Netns.create({ name: CT });
  await host.exec([linkCalls.addVeth({ name: 'p0', up: true, peer: { name: 'p0peer', up: true } })]);
  ipvlan = await supports('ipvlan');
  vlan = await supports('vlan');
});
afterAll(async () => {
  await ct?.delete();
  await host?.delete();
});

describe('stacked links', () => {
  it('creates a macvlan of a host parent directly in another namespace, up, under its final name', async () => {
    const [mv] = (await host.exec([linkCalls.addMacvlan({ name: 'eth0', parent: 'p0', mode: 'bridge', netns: ct, up: true, address: '02:42:c0:00:02:0a' })])) as [{ name: string; linkKind: string }];
    expect(mv).toMatchObject({ name: 'eth0', linkKind: 'macvlan', macvlan: { mode: 'bridge' }, up: true, address: '02:42:c0:00:02:0a' });
    const [w] = ipJson<IpLink[]>(CT, '-d', 'link', 'show', 'eth0');
    expect(w?.linkinfo?.info_kind).toBe('macvlan');
    // Its parent is in another namespace.
    expect(w?.link_netnsid).toBeTypeOf('number');
    expect(ipJson<IpLink[]>(HOST, 'link', 'show').map((l) => l.ifname)).not.toContain('eth0');
    await ct.exec([linkCalls.delete('eth0')]);
  });

  it('takes back a link made in another namespace when a later call of the plan fails', async () => {
    await expect(host.exec([linkCalls.addMacvlan({ name: 'eth1', parent: 'p0', netns: ct }), linkCalls.get('nope0')])).rejects.toThrow();
    expect(ipJson<IpLink[]>(CT, 'link', 'show').map((l) => l.ifname)).toEqual(['lo']);
  });

  it('checks ipvlan and vlan options before the kernel', () => {
    expect(() => linkCalls.addIpvlan({ name: 'iv0', parent: 'p0', mode: 'l4' as 'l2' })).toThrow(ValidationError);
    expect(() => linkCalls.addVlan({ name: 'p0.5000', parent: 'p0', id: 5000 })).toThrow(/id/);
    expect(() => linkCalls.addVlan({ name: 'p0.5', id: 5 } as never)).toThrow(/parent/);
  });

  it('creates an ipvlan in l3 mode in another namespace (needs CONFIG_IPVLAN)', async (t) => {
    if (!ipvlan) t.skip();
    await host.exec([linkCalls.addIpvlan({ name: 'eth2', parent: 'p0', mode: 'l3', netns: ct, up: true })]);
    const [w] = ipJson<IpLink[]>(CT, '-d', 'link', 'show', 'eth2');
    expect(w?.linkinfo).toMatchObject({ info_kind: 'ipvlan', info_data: { mode: 'l3' } });
    const [link] = (await ct.exec([linkCalls.get('eth2')])) as [{ ipvlan: unknown }];
    expect(link.ipvlan).toEqual({ mode: 'l3' });
    await ct.exec([linkCalls.delete('eth2')]);
  });

  it('creates an 802.1Q sub-interface (needs CONFIG_VLAN_8021Q)', async (t) => {
    if (!vlan) t.skip();
    const [v] = (await host.exec([linkCalls.addVlan({ name: 'p0.100', parent: 'p0', id: 100, up: true })])) as [{ vlan: unknown }];
    expect(v.vlan).toEqual({ id: 100 });
    const [w] = ipJson<IpLink[]>(HOST, '-d', 'link', 'show', 'p0.100');
    expect(w?.linkinfo).toMatchObject({ info_kind: 'vlan', info_data: { id: 100 } });
    await host.exec([linkCalls.delete('p0.100')]);
  });
});
