// sockets.listening: the ports processes listen on in a namespace, TCP of
// both families from one dump, UDP from one per family, checked against what
// `ss` reports for the same namespace.
import { execFileSync } from 'node:child_process';
import type { Server } from 'node:net';
import type { Socket as UdpSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, bindUdp, listenTcp } from '../../../src/index.js';
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
