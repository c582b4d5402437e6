// sockets.listening: the ports processes listen on in a namespace, TCP of
// both families from one dump, UDP from one per family, checked against what
// `ss` reports for the same namespace.
import { execFileSync } from 'node:child_process';
import type { Server } from 'node:net';
import type { Socket as UdpSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusyError, Netns, ValidationError, bindUdp, linkCalls, listenTcp } from '../../../src/index.js';
import { opCall, type ListeningSocket } from '../../../src/addon/ops.js';
import { assertSandbox } from '../support/witness.js';

const NS = 'np-listening';
let ns: Netns;
const open: (Server | UdpSocket)[] = [];

beforeAll(async () => {
  assertSandbox();
  ns = await Netns.create({ name: NS });
  open.push(
    await listenTcp(ns, { address: '127.0.0.1', port: 7101 }),
    await listenTcp(ns, { address: '::1', port: 7101 }),
    await listenTcp(ns, { address: '::', port: 7102 }),
    await bindUdp(ns, { address: '127.0.0.1', port: 7103 }),
    await bindUdp(ns, { address: '::1', port: 7103 }),
  );
});
afterAll(async () => {
  for (const s of open) s.close();
  await ns?.delete();
});

const key = (s: Pick<ListeningSocket, 'protocol' | 'address' | 'port'>): string => `${s.protocol} ${s.address.replace(/^\[|\]$/g, '')}:${s.port}`;

/** What ss says listens in the namespace: "tcp 127.0.0.1:7101", ... (its "*" is :: taking IPv4 too). */
function witness(): string[] {
  const out = execFileSync('ip', ['netns', 'exec', NS, 'ss', '-Hlntu'], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [proto, , , , local = ''] = l.trim().split(/\s+/);
      const at = local.lastIndexOf(':');
      return key({ protocol: proto as 'tcp' | 'udp', address: local.slice(0, at).replace(/%.*$/, '').replace(/^\*$/, '::'), port: Number(local.slice(at + 1)) });
    })
    .sort();
}

async function listening(args: { protocols?: ('tcp' | 'udp')[]; ports?: number[] }): Promise<ListeningSocket[]> {
  const [r] = (await ns.exec([opCall('sockets.listening', args)])) as [ListeningSocket[]];
  return r;
}

describe('sockets.listening', () => {
  it('reports the TCP listeners and bound UDP sockets of both families that ss reports', async () => {
    const all = await listening({});
    expect(all.map(key).sort()).toEqual(witness());
    expect(all.map(key).sort()).toEqual(['tcp 127.0.0.1:7101', 'tcp ::1:7101', 'tcp :::7102', 'udp 127.0.0.1:7103', 'udp ::1:7103']);
    for (const s of all) {
      expect(s.family).toBe(s.address.includes(':') ? 6 : 4);
      expect(s.inode).toBeGreaterThan(0);
      if (s.family === 4) expect(s.v6only).toBeUndefined();
    }
    // ss shows the :: listener as "*": it takes IPv4 as well.
    expect(all.find((s) => s.port === 7102)?.v6only).toBe(false);
  });

  it('filters by protocol and port: one port of TCP gives both families, nothing else', async () => {
    const one = await listening({ protocols: ['tcp'], ports: [7101] });
    expect(one.map((s) => `${s.family} ${key(s)}`).sort()).toEqual(['4 tcp 127.0.0.1:7101', '6 tcp ::1:7101']);
    const two = await listening({ protocols: ['tcp', 'udp'], ports: [7102, 7103] });
    expect(two.map(key).sort()).toEqual(['tcp :::7102', 'udp 127.0.0.1:7103', 'udp ::1:7103']);
    expect(await listening({ protocols: ['udp'], ports: [7101] })).toEqual([]);
  });
});

// The create's plan starts with it when every published port is fixed: a port a process listens on is refused
// by the kernel's own answer, in the plan's trip, before the plan changes anything.
describe('sockets.refuseListeners', () => {
  type Binding = { protocol: 'tcp' | 'udp'; port: number; address?: string };
  const refuse = (bindings: Binding[]) => ns.exec([opCall('sockets.refuseListeners', { bindings })]);
  const refused = async (bindings: Binding[]): Promise<BusyError> => {
    const err = await refuse(bindings).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(BusyError);
    expect(err).toMatchObject({ code: 'EADDRINUSE', op: 'sockets.refuseListeners' });
    return err as BusyError;
  };

  it('refuses a binding on every address that any listener on its port and protocol holds, naming the listener', async () => {
    const err = await refused([{ protocol: 'tcp', port: 7102 }, { protocol: 'tcp', port: 7101 }]);
    // The dump's order is the kernel's: whichever of the three listeners comes first is named.
    const holders = (await listening({ protocols: ['tcp'], ports: [7101, 7102] })).map((s) => `${s.family === 6 ? `[${s.address}]` : s.address}:${s.port}/tcp (socket inode ${s.inode})`);
    expect(holders).toHaveLength(3);
    expect(holders).toContain(err.object);
    expect((await refused([{ protocol: 'udp', port: 7103 }])).object).toMatch(/^(127\.0\.0\.1|\[::1\]):7103\/udp \(socket inode \d+\)$/);
  });

  it('lets through what no listener holds: another port, another protocol, another address', async () => {
    await expect(refuse([{ protocol: 'tcp', port: 7104 }, { protocol: 'udp', port: 7101 }, { protocol: 'tcp', port: 7103 }])).resolves.toEqual([null]);
    await expect(refuse([{ protocol: 'tcp', port: 7101, address: '10.9.9.9' }])).resolves.toEqual([null]);
    await expect(refuse([])).resolves.toEqual([null]);
  });

  it('matches a listener on one address only to a binding on that address or on every address; :: holds them all', async () => {
    expect((await refused([{ protocol: 'tcp', port: 7101, address: '127.0.0.1' }])).object).toMatch(/^127\.0\.0\.1:7101\/tcp /);
    expect((await refused([{ protocol: 'tcp', port: 7101, address: '::1' }])).object).toMatch(/^\[::1\]:7101\/tcp /);
    expect((await refused([{ protocol: 'tcp', port: 7102, address: '10.9.9.9' }])).object).toMatch(/^\[::\]:7102\/tcp /);
    // An IPv6 socket bound to an IPv4-mapped address holds that IPv4 address.
    const mapped = await listenTcp(ns, { address: '::ffff:127.0.0.2', port: 7105 });
    try {
      expect((await refused([{ protocol: 'tcp', port: 7105, address: '127.0.0.2' }])).object).toMatch(/^\[::ffff:127\.0\.0\.2\]:7105\/tcp /);
      await expect(refuse([{ protocol: 'tcp', port: 7105, address: '127.0.0.3' }])).resolves.toEqual([null]);
    } finally {
      mapped.close();
    }
  });

  it('as a plan\'s first call, its refusal stops the plan before anything changes', async () => {
    const plan = ns.plan();
    plan.add(opCall('sockets.refuseListeners', { bindings: [{ protocol: 'tcp', port: 7101 }] }));
    plan.add(linkCalls.add({ name: 'np-refused', kind: 'dummy' }));
    await expect(plan.run()).rejects.toMatchObject({ code: 'EADDRINUSE', planIndex: 0 });
    expect(execFileSync('ip', ['-n', NS, '-o', 'link', 'show'], { encoding: 'utf8' })).not.toContain('np-refused');
  });

  it('takes TCP and UDP bindings on ports 1-65535 only', async () => {
    await expect(refuse([{ protocol: 'sctp' as 'tcp', port: 80 }])).rejects.toBeInstanceOf(ValidationError);
    await expect(refuse([{ protocol: 'tcp', port: 0 }])).rejects.toBeInstanceOf(ValidationError);
    await expect(refuse([{ protocol: 'udp', port: 65536 }])).rejects.toBeInstanceOf(ValidationError);
  });
});
