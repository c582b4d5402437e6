// End to end on 127.0.0.1 only: the responder, a fake upstream and the client
// all live on loopback ports of this test; nothing is sent anywhere else.
import dgram from 'node:dgram';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NameTable } from '../../../src/dns/names.js';
import { DnsResponder, loadUpstreams, type ResolverOptions } from '../../../src/dns/resolver.js';
import { reverseName } from '../../../src/dns/reverse.js';
import { addressFromData, buildQuery, buildResponse, nameFromData, parseQuery, parseResponse, Rcode, RRType, type DnsMessage } from '../../../src/dns/wire.js';
import { askUdp, closedAfterEach, exampleTestAnswer, LOOPBACK } from '../../support/dns.js';

const cleanup = closedAfterEach();

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, LOOPBACK, r));
  cleanup.push(() => s.close());
  return s;
}

/** A fake upstream: answers "example.test" with `answer`, ignores "slow.test", NXDOMAIN for the rest. */
async function fakeUpstream(answer = '192.0.2.1'): Promise<{ port: number; seen: number[] }> {
  const s = await bound();
  const seen: number[] = [];
  s.on('message', (msg, rinfo) => {
    const q = parseQuery(msg);
    seen.push(q.header.id);
    if (q.questions[0]?.name === 'slow.test') return;
    s.send(exampleTestAnswer(q, answer), rinfo.port, rinfo.address);
  });
  return { port: s.address().port, seen };
}

async function responder(opts: Partial<ResolverOptions> & { names: NameTable }): Promise<number> {
  const sock = await bound();
  const r = new DnsResponder(sock, {
    upstreams: [],
    createUpstreamSocket: () => {
      const u = dgram.createSocket('udp4');
      u.bind(0, LOOPBACK);
      return u;
    },
    ...opts,
  });
  cleanup.unshift(() => r.close());
  return sock.address().port;
}

async function ask(port: number, name: string, type: number, id = 0xbeef): Promise<DnsMessage> {
  return askUdp(await bound(), LOOPBACK, port, id, name, type);
}

function table(): NameTable {
  const t = new NameTable();
  t.register('ep1', ['web', 'frontend'], ['172.22.16.8', 'fd00::8']);
  t.register('ep2', ['db'], ['172.22.16.9']);
  t.register('ep3', ['frontend'], ['172.22.16.10']);
  return t;
}

describe('DnsResponder', () => {
  it('answers A and AAAA for known names, case-insensitively, with TTL 600', async () => {
    const port = await responder({ names: table() });
    const a = await ask(port, 'WEB.', RRType.A, 1);
    expect(a.header).toMatchObject({ id: 1, rcode: Rcode.NOERROR, aa: true });
    expect(a.answers.map((r) => [r.type, r.ttl, addressFromData(r.data)])).toEqual([[RRType.A, 600, '172.22.16.8']]);
    const aaaa = await ask(port, 'web', RRType.AAAA, 2);
    expect(aaaa.answers.map((r) => addressFromData(r.data))).toEqual(['fd00::8']);
    const shared = await ask(port, 'Frontend', RRType.A);
    expect(shared.answers.map((r) => addressFromData(r.data))).toEqual(['172.22.16.8', '172.22.16.10']);
    const nodata = await ask(port, 'db', RRType.AAAA);
    expect(nodata.header.rcode).toBe(Rcode.NOERROR);
    expect(nodata.answers).toEqual([]);
  });

  it('forwards other names with a rewritten id and restores it', async () => {
    const up = await fakeUpstream();
    const port = await responder({ names: table(), upstreams: [{ address: LOOPBACK, port: up.port }] });
    const r = await ask(port, 'example.test', RRType.A, 0x1111);
    expect(r.header.id).toBe(0x1111);
    expect(r.answers.map((a) => [a.ttl, addressFromData(a.data)])).toEqual([[30, '192.0.2.1']]);
    const nx = await ask(port, 'nothing.test', RRType.A, 0x2222);
    expect(nx.header).toMatchObject({ id: 0x2222, rcode: Rcode.NXDOMAIN });
    expect(up.seen).toHaveLength(2);
  });

  it('tries the next upstream after a timeout and answers SERVFAIL when all are silent', async () => {
    const silent = await bound();
    const up = await fakeUpstream('192.0.2.77');
    const port = await responder({
      names: table(),
      timeoutMs: 100,
      upstreams: [
        { address: LOOPBACK, port: silent.address().port },
        { address: LOOPBACK, port: up.port },
      ],
    });
    const r = await ask(port, 'example.test', RRType.A, 5);
    expect(r.answers.map((a) => addressFromData(a.data))).toEqual(['192.0.2.77']);
    const started = Date.now();
    const fail = await ask(port, 'slow.test', RRType.A, 6);
    expect(fail.header).toMatchObject({ id: 6, rcode: Rcode.SERVFAIL });
    expect(fail.questions[0]?.name).toBe('slow.test');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('drops answers that do not come from an upstream it asked', async () => {
    const silent = await bound();
    const spoofer = await bound();
    const seen: Buffer[] = [];
    silent.on('message', (msg, rinfo) => {
      seen.push(msg);
      // Answer from the wrong socket: the responder must ignore it and time out.
      spoofer.send(buildResponse(parseQuery(msg), { answers: [{ address: '6.6.6.6', ttl: 1 }] }), rinfo.port, rinfo.address);
    });
    const port = await responder({ names: table(), timeoutMs: 100, upstreams: [{ address: LOOPBACK, port: silent.address().port }] });
    const r = await ask(port, 'evil.test', RRType.A, 9);
    expect(seen).toHaveLength(1);
    expect(r.header.rcode).toBe(Rcode.SERVFAIL);
  });

  it('answers SERVFAIL with no upstreams, NXDOMAIN when forwarding is off, FORMERR and NOTIMP', async () => {
    const none = await responder({ names: table() });
    expect((await ask(none, 'x.test', RRType.A)).header.rcode).toBe(Rcode.SERVFAIL);
    const internal = await responder({ names: table(), forward: false, upstreams: [{ address: LOOPBACK, port: 9 }] });
    expect((await ask(internal, 'x.test', RRType.A)).header.rcode).toBe(Rcode.NXDOMAIN);
    expect((await ask(internal, 'db', RRType.A)).answers).toHaveLength(1);

    const c = await bound();
    const replies: Buffer[] = [];
    c.on('message', (m) => replies.push(m));
    const truncated = buildQuery(0x0102, 'web', RRType.A).subarray(0, 15);
    const notify = buildQuery(0x0304, 'web', RRType.A);
    notify.writeUInt16BE(4 << 11, 2);
    c.send(truncated, none, LOOPBACK);
    c.send(notify, none, LOOPBACK);
    c.send(Buffer.from('xx'), none, LOOPBACK);
    await new Promise((r) => setTimeout(r, 100));
    const byId = new Map(replies.map((m) => [m.readUInt16BE(0), m.readUInt16BE(2) & 0xf]));
    expect(byId.get(0x0102)).toBe(Rcode.FORMERR);
    expect(byId.get(0x0304)).toBe(Rcode.NOTIMP);
    expect(replies).toHaveLength(2);
  });

  it('answers PTR for the addresses of sandboxes as "<name>.<network>", and forwards other reverse names', async () => {
    const up = await fakeUpstream();
    const names = table();
    names.register('ep4', ['Cache', 'redis'], ['172.22.16.11']);
    const port = await responder({ names, domain: 'front', upstreams: [{ address: LOOPBACK, port: up.port }] });
    const ptr = async (address: string): Promise<DnsMessage> => ask(port, reverseName(address), RRType.PTR);
    const v4 = await ptr('172.22.16.8');
    expect(v4.header).toMatchObject({ rcode: Rcode.NOERROR, aa: true });
    expect(v4.answers.map((a) => [a.name, a.type, a.ttl, nameFromData(a.data)])).toEqual([
      ['8.16.22.172.in-addr.arpa', RRType.PTR, 600, 'web.front'],
    ]);
    expect((await ptr('fd00::8')).answers.map((a) => nameFromData(a.data))).toEqual(['web.front']);
    // The sandbox's own name as given, never an alias.
    expect((await ptr('172.22.16.11')).answers.map((a) => nameFromData(a.data))).toEqual(['Cache.front']);
    // Another type for the reverse name of a known address: the name exists, without such data.
    const nodata = await ask(port, reverseName('172.22.16.8'), RRType.A);
    expect(nodata.header).toMatchObject({ rcode: Rcode.NOERROR, ancount: 0 });
    // An address no sandbox has goes upstream like any name.
    expect(up.seen).toHaveLength(0);
    expect((await ptr('192.0.2.1')).header.rcode).toBe(Rcode.NXDOMAIN);
    expect(up.seen).toHaveLength(1);

    const internal = await responder({ names, domain: 'front', forward: false });
    expect((await ptr('192.0.2.1')).header.rcode).toBe(Rcode.NXDOMAIN);
    expect((await ask(internal, reverseName('172.22.16.9'), RRType.PTR)).answers.map((a) => nameFromData(a.data))).toEqual([
      'db.front',
    ]);
  });

  it('truncates UDP answers over 512 bytes, or over the EDNS0 size the client announces, with TC set', async () => {
    const names = new NameTable();
    for (let i = 0; i < 100; i++) names.register(`ep${i}`, [`replica${i}`, 'many'], [`172.22.17.${i + 2}`]);
    const port = await responder({ names });
    const plain = await ask(port, 'many', RRType.A);
    expect(plain.header.tc).toBe(true);
    // 12 header + 10 question + 16 per record: 30 records fit in 512 bytes.
    expect(plain.answers).toHaveLength(30);
    const c = await bound();
    const reply = new Promise<Buffer>((res) => c.once('message', res));
    const query = buildQuery(3, 'many', RRType.A);
    query.writeUInt16BE(1, 10);
    c.send(Buffer.concat([query, Buffer.from('0000290fa0000000000000', 'hex')]), port, LOOPBACK);
    const edns = parseResponse(await reply);
    expect(edns.header.tc).toBe(false);
    expect(edns.answers).toHaveLength(100);
  });

  it('reads upstreams from a resolv.conf', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'netplumb-resolv-'));
    try {
      const path = join(dir, 'resolv.conf');
      await fs.writeFile(path, 'nameserver 192.0.2.53\nnameserver 2001:db8::35\nsearch x\n');
      expect(loadUpstreams(path)).toEqual([
        { address: '192.0.2.53', port: 53 },
        { address: '2001:db8::35', port: 53 },
      ]);
      expect(loadUpstreams(join(dir, 'missing'))).toEqual([]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
