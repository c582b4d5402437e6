// The overlay's per-host kernel objects as data: what the store's VTEP
// records call for, what the kernel reports, and the changes between them.
import { describe, expect, it } from 'vitest';
import type { RtnlChange } from '../../../src/addon/ops.js';
import type { Neighbour } from '../../../src/addon/wire/neigh.js';
import type { Nexthop } from '../../../src/addon/wire/nexthop.js';
import type { Route } from '../../../src/addon/wire/route.js';
import type { VtepRecord } from '../../../src/cluster/records.js';
import { desiredObjects, diffObjects, emptyObjects, kernelObjects, nexthopId, peerChanges } from '../../../src/model/networks/drivers/overlay/peers.js';
import { vtepAddress, vtepMac } from '../../../src/model/networks/drivers/overlay/device.js';

const vtep = (i: number, underlay = `192.0.2.${10 + i}`): VtepRecord => ({
  hostId: `h${i}`,
  underlay,
  vtepMac: vtepMac(`10.244.${i}.0/24`),
  subnet: `10.244.${i}.0/24`,
  vni: 42,
});
const layout = { clusterSubnet: '10.244.0.0/16', nexthopSlot: 1, useNexthops: false };
const summary = (changes: RtnlChange[]) => changes.map((c) => `${c.action} ${c.object} ${'destination' in c.args ? c.args.destination : 'id' in c.args ? c.args.id : (c.args as { address?: string; lladdr?: string }).address ?? (c.args as { lladdr?: string }).lladdr}`);

describe('overlay peers', () => {
  it('derives the VTEP address and MAC from the host subnet', () => {
    expect(vtepAddress('10.244.7.0/24')).toBe('10.244.7.0');
    expect(vtepMac('10.244.7.0/24')).toBe('02:42:0a:f4:07:00');
  });

  it('programs a joining host with exactly a route, a neighbour and an FDB entry', () => {
    const before = desiredObjects([vtep(1)], layout);
    const after = desiredObjects([vtep(1), vtep(2)], layout);
    const changes = diffObjects('vx', before, after);
    expect(summary(changes)).toEqual(['add route 10.244.2.0/24', 'add neigh 10.244.2.0', 'add neigh 02:42:0a:f4:02:00']);
    expect(changes[0]!.args).toEqual({ destination: '10.244.2.0/24', family: 4, gateway: '10.244.2.0', dev: 'vx', onlink: true });
    expect(changes[2]!.args).toEqual({ family: 'bridge', dev: 'vx', lladdr: '02:42:0a:f4:02:00', dst: '192.0.2.12', state: 'permanent' });
  });

  it('removes a leaving host with exactly 3 deletes, and changes nothing when nothing changed', () => {
    const both = desiredObjects([vtep(1), vtep(2)], layout);
    expect(summary(diffObjects('vx', both, desiredObjects([vtep(2)], layout)))).toEqual(['delete route 10.244.1.0/24', 'delete neigh 10.244.1.0', 'delete neigh 02:42:0a:f4:01:00']);
    expect(diffObjects('vx', both, desiredObjects([vtep(2), vtep(1)], layout))).toEqual([]);
  });

  it('moves a host to a new underlay address by replacing its FDB entry alone, with the old one as the undo', () => {
    const changes = diffObjects('vx', desiredObjects([vtep(1)], layout), desiredObjects([vtep(1, '192.0.2.99')], layout));
    expect(changes).toEqual([
      {
        action: 'replace', object: 'neigh',
        args: { family: 'bridge', dev: 'vx', lladdr: '02:42:0a:f4:01:00', dst: '192.0.2.99', state: 'permanent' },
        before: { family: 'bridge', dev: 'vx', lladdr: '02:42:0a:f4:01:00', dst: '192.0.2.11', state: 'permanent' },
      },
    ]);
  });

  it('routes through nexthop objects past the threshold: nexthops added before the routes that use them, deleted after', () => {
    const nh = { ...layout, useNexthops: true };
    expect(nexthopId(nh, '10.244.3.0/24')).toBe(2 ** 24 + 4);
    const plain = desiredObjects([vtep(1), vtep(2)], layout);
    const viaNexthops = desiredObjects([vtep(1), vtep(2)], nh);
    expect(summary(diffObjects('vx', plain, viaNexthops))).toEqual([
      `add nexthop ${2 ** 24 + 2}`, `add nexthop ${2 ** 24 + 3}`, 'replace route 10.244.1.0/24', 'replace route 10.244.2.0/24',
    ]);
    expect(summary(diffObjects('vx', viaNexthops, plain))).toEqual([
      'replace route 10.244.1.0/24', 'replace route 10.244.2.0/24', `delete nexthop ${2 ** 24 + 2}`, `delete nexthop ${2 ** 24 + 3}`,
    ]);
  });

  it('reads only the VXLAN device\'s own objects from the kernel, learned or stale ones included so that they go', () => {
    const route = (r: Partial<Route>): Route => ({ kind: 'route', action: 'new', family: 4, destination: '', table: 254, scope: 'universe', protocol: 'boot', type: 'unicast', onlink: true, ...r });
    const neigh = (n: Partial<Neighbour>): Neighbour => ({ kind: 'neighbour', action: 'new', family: 4, index: 9, state: ['permanent'], flags: {} as Neighbour['flags'], ...n });
    const got = kernelObjects(
      9,
      [
        route({ destination: '10.244.1.0/24', gateway: '10.244.1.0', index: 9 }),
        route({ destination: '10.244.2.0/24', nhid: 5, gateway: '10.244.2.0', index: 9 }),
        route({ destination: '10.0.0.0/8', gateway: '10.1.1.1', index: 3 }),
        route({ destination: '10.244.9.0/24', index: 9, table: 100 }),
      ],
      [neigh({ address: '10.244.1.0', lladdr: '02:42:0a:f4:01:00' }), neigh({ address: '10.244.66.0', state: ['failed'] }), neigh({ address: '10.1.1.1', index: 3, lladdr: 'aa:aa:aa:aa:aa:aa' })],
      [neigh({ family: 'bridge', lladdr: '02:42:0a:f4:01:00', dst: '192.0.2.11' }), neigh({ family: 'bridge', lladdr: '00:00:00:00:00:00', dst: '192.0.2.50' })],
      [{ kind: 'nexthop', action: 'new', id: 5, family: 4, gateway: '10.244.2.0', index: 9, onlink: true, blackhole: false } as Nexthop],
    );
    expect([...got.routes]).toEqual([['10.244.1.0/24', { gateway: '10.244.1.0' }], ['10.244.2.0/24', { nhid: 5 }]]);
    expect([...got.neighbours]).toEqual([['10.244.1.0', '02:42:0a:f4:01:00'], ['10.244.66.0', '']]);
    // The all-zeros flood entry is not ours: a diff against the records deletes it.
    const changes = diffObjects('vx', got, desiredObjects([vtep(1)], layout));
    expect(summary(changes)).toEqual(['delete route 10.244.2.0/24', 'delete nexthop 5', 'delete neigh 10.244.66.0', 'delete neigh 00:00:00:00:00:00']);
  });

  it('programs 1,000 hosts from nothing as 3,000 adds', () => {
    const peers = Array.from({ length: 1000 }, (_, i) => ({ ...vtep(0), subnet: `10.${244 + (i >> 8)}.${i & 255}.0/24`, vtepMac: vtepMac(`10.${244 + (i >> 8)}.${i & 255}.0/24`) }));
    const changes = diffObjects('vx', emptyObjects(), desiredObjects(peers, { ...layout, clusterSubnet: '10.240.0.0/12' }));
    expect(changes).toHaveLength(3000);
    expect(changes.every((c) => c.action === 'add')).toBe(true);
  });

  it('computes an event from the touched hosts alone, the same changes as a whole diff', () => {
    const all = new Map(Array.from({ length: 50 }, (_, i) => [vtep(i + 1).subnet, vtep(i + 1)] as const));
    const next = new Map(all);
    next.delete(vtep(7).subnet);
    next.set(vtep(60).subnet, vtep(60));
    next.set(vtep(9).subnet, vtep(9, '192.0.2.200'));
    const touched = [vtep(7).subnet, vtep(60).subnet, vtep(9).subnet, vtep(3).subnet];
    const small = peerChanges('vx', layout, all, next, touched);
    const whole = diffObjects('vx', desiredObjects([...all.values()], layout), desiredObjects([...next.values()], layout));
    expect(new Set(small.map((c) => JSON.stringify(c)))).toEqual(new Set(whole.map((c) => JSON.stringify(c))));
    expect(small).toHaveLength(3 + 3 + 1);
  });
});
