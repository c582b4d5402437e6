// nf_tables with real traffic: masquerade towards a "wan" namespace, DNAT
// through a map from the wan to a server in a container namespace, and
// counters that count the packets that went through.
//
// The topology is built with the witness `ip` commands inside the sandbox:
// the library's link/addr/route modules were being written at the same time
// as this test; nf_tables, the thing under test, is all library.
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, Nftables, Sysctl, connectTcp, listenTcp, nft } from '../../../src/index.js';
import { assertSandbox, ip } from '../support/witness.js';

const { table, chain, rule, nftMap, ip: ipv4, th, tcp, meta, fib } = nft;

const HOST = 'np-nt-host';
const WAN = 'np-nt-wan';
const C1 = 'np-nt-c1';
const HOST_WAN_ADDR = '198.18.0.1';
const WAN_ADDR = '198.18.0.2';
const C1_ADDR = '172.30.0.2';

const namespaces: Netns[] = [];
let host: Netns, wan: Netns, c1: Netns;
let nf: Nftables;

/** Connects, reads until the server closes, returns what it said; rejects on refusal or after 2 s. */
async function fetchText(from: Netns, addr: string, port: number): Promise<string> {
  const sock: Socket = await Promise.race([
    connectTcp(from, { host: addr, port }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('connect timed out')), 2000)),
  ]);
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  await new Promise((r) => sock.on('close', r));
  return Buffer.concat(chunks).toString();
}

beforeAll(async () => {
  assertSandbox();
  for (const name of [HOST, WAN, C1]) namespaces.push(await Netns.create({ name }));
  [host, wan, c1] = namespaces as [Netns, Netns, Netns];
  // host ⟷ wan over a veth; container c1 behind bridge br0 of the host.
  ip(HOST, 'link', 'add', 'h-wan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', WAN);
  ip(HOST, 'addr', 'add', `${HOST_WAN_ADDR}/24`, 'dev', 'h-wan');
  ip(HOST, 'link', 'set', 'h-wan', 'up');
  ip(WAN, 'addr', 'add', `${WAN_ADDR}/24`, 'dev', 'eth0');
  ip(WAN, 'link', 'set', 'eth0', 'up');
  ip(HOST, 'link', 'add', 'br0', 'type', 'bridge');
  ip(HOST, 'addr', 'add', '172.30.0.1/24', 'dev', 'br0');
  ip(HOST, 'link', 'set', 'br0', 'up');
  ip(HOST, 'link', 'add', 'v-c1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', C1);
  ip(HOST, 'link', 'set', 'v-c1', 'master', 'br0', 'up');
  ip(C1, 'addr', 'add', `${C1_ADDR}/24`, 'dev', 'eth0');
  ip(C1, 'link', 'set', 'eth0', 'up');
  ip(C1, 'route', 'add', 'default', 'via', '172.30.0.1');
  // The wan has no route to 172.30.0.0/24: only masquerade lets replies come back.
  await new Sysctl(host).set('net.ipv4.ip_forward', 1);
  nf = new Nftables(host);
});

afterAll(async () => {
  for (const n of namespaces.splice(0)) await n.delete();
});

const t = table('inet', 'netplumb');
const pre = chain(t, 'prerouting', { type: 'nat', hook: 'prerouting', priority: 'dstnat', policy: 'accept' });
const post = chain(t, 'postrouting', { type: 'nat', hook: 'postrouting', priority: 'srcnat', policy: 'accept' });
const ports = nftMap(t, 'ports', { key: ['ipv4_addr', 'inet_proto', 'inet_service'], data: ['ipv4_addr', 'inet_service'] });

describe('nf_tables with traffic', () => {
  it('masquerades traffic from the bridge: the wan sees the host address', async () => {
    await nf.transaction()
      .addTable(t).addChain(pre).addChain(post).addSet(ports)
      .addRule(rule(post).match(ipv4.saddr.in('172.30.0.0/24')).match(meta.oifname.neq('br0')).counter().masquerade().build())
      .commit();
    const seen: string[] = [];
    const server = await listenTcp(wan, { address: WAN_ADDR, port: 7000 }, (s) => {
      seen.push(s.remoteAddress ?? '');
      s.end('hello from wan');
    });
    try {
      expect(await fetchText(c1, WAN_ADDR, 7000)).toBe('hello from wan');
      expect(seen).toEqual([HOST_WAN_ADDR]);
    } finally {
      server.close();
    }
  });

  it('DNATs through a map; adding and deleting one element changes exactly one mapping; counters count', async () => {
    const servers = await Promise.all(
      [80, 81].map((p) => listenTcp(c1, { address: C1_ADDR, port: p }, (s) => s.end(`c1:${p}`))),
    );
    try {
      const counted = rule(pre).match(tcp.dport.eq(8080)).counter().build();
      const res = await nf.transaction()
        .addRule(counted)
        .addRule(rule(pre).match(fib.daddr.type.eq('local')).dnat(ipv4.daddr.concat(meta.l4proto).concat(th.dport).map(ports)).build())
        .addElements(ports, [ports.entry([HOST_WAN_ADDR, 'tcp', 8080], [C1_ADDR, 80])])
        .commit();
      expect(await fetchText(wan, HOST_WAN_ADDR, 8080)).toBe('c1:80');
      await expect(fetchText(wan, HOST_WAN_ADDR, 8081)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

      const second = ports.entry([HOST_WAN_ADDR, 'tcp', 8081], [C1_ADDR, 81]);
      await nf.transaction().addElements(ports, [second]).commit();
      expect(await fetchText(wan, HOST_WAN_ADDR, 8081)).toBe('c1:81');
      expect(await fetchText(wan, HOST_WAN_ADDR, 8080)).toBe('c1:80');

      await nf.transaction().deleteElements(ports, [ports.entry([HOST_WAN_ADDR, 'tcp', 8080], [C1_ADDR, 80])]).commit();
      await expect(fetchText(wan, HOST_WAN_ADDR, 8080)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(await fetchText(wan, HOST_WAN_ADDR, 8081)).toBe('c1:81');

      // A nat chain sees the first packet of each connection: 3 connections to 8080 were made.
      const back = await nf.list({ table: 'netplumb' });
      const counter = back.rules.find((r) => r.handle === res.handles[0])!.exprs.find((e) => e.type === 'counter');
      expect(counter).toMatchObject({ packets: 3 });
      expect((counter as { bytes: number }).bytes).toBeGreaterThan(3 * 40);
    } finally {
      for (const s of servers) s.close();
    }
  });
});
