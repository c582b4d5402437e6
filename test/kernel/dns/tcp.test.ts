// DNS over TCP end to end on 127.0.0.1 only: the responder's TCP server, fake
// TCP upstreams and the clients all live on loopback ports of this test.
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { NameTable } from '../../../src/dns/names.js';
import { DnsResponder, type ResolverOptions } from '../../../src/dns/resolver.js';
import { reverseName } from '../../../src/dns/reverse.js';
import { frame } from '../../../src/dns/tcp-frames.js';
import { addressFromData, buildQuery, nameFromData, parseQuery, Rcode, RRType, type DnsMessage } from '../../../src/dns/wire.js';
import { answerFramed, closedAfterEach, exampleTestAnswer, LOOPBACK, TcpAnswers } from '../../support/dns.js';

const cleanup = closedAfterEach();

async function listening(onConnection?: (s: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, LOOPBACK, r));
  cleanup.push(() => server.close());
  return server;
}

const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port;

/** A fake upstream over TCP: answers "example.test" A with 192.0.2.1 and everything else NXDOMAIN; counts queries. */
async function tcpUpstream(): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = await listening((s) =>
    answerFramed(s, (m) => {
      const q = parseQuery(m);
      seen.push(q.questions[0]?.name ?? '');
      return exampleTestAnswer(q);
    }),
  );
  return { port: portOf(server), seen };
}

/** A responder serving UDP and TCP; returns the TCP port. */
async function responder(opts: Partial<ResolverOptions> & { names: NameTable }): Promise<{ port: number; r: DnsResponder }> {
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, LOOPBACK, r));
  const server = await listening();
  const r = new DnsResponder(udp, { upstreams: [], ...opts });
  r.serveTcp(server);
  cleanup.unshift(() => {
    r.close();
    udp.close();
  });
  return { port: portOf(server), r };
}

/** A client connection that collects answers by id. */
async function client(port: number): Promise<{ socket: net.Socket; answers: Map<number, DnsMessage>; closed: Promise<void> }> {
  const socket = net.connect(port, LOOPBACK);
  await new Promise((r) => socket.once('connect', r));
  cleanup.unshift(() => socket.destroy());
  const { byId: answers } = new TcpAnswers(socket);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, answers, closed };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

function table(): NameTable {
  const t = new NameTable();
  t.register('ep1', ['web'], ['172.22.16.8']);
  for (let i = 0; i < 100; i++) t.register(`r${i}`, [`replica${i}`, 'many'], [`172.22.17.${i + 2}`]);
  return t;
}

describe('DnsResponder over TCP', () => {
  it('answers several queries on one connection, however they are split, without truncating', async () => {
    const { port } = await responder({ names: table(), domain: 'front' });
    const c = await client(port);
    const stream = Buffer.concat([
      frame(buildQuery(1, 'web', RRType.A)),
      frame(buildQuery(2, reverseName('172.22.16.8'), RRType.PTR)),
      frame(buildQuery(3, 'many', RRType.A)),
    ]);
    // One byte at a time: frames arrive split anywhere.
    for (const byte of stream) c.socket.write(Buffer.of(byte));
    await until(() => c.answers.size === 3);
    expect(c.answers.get(1)?.answers.map((a) => addressFromData(a.data))).toEqual(['172.22.16.8']);
    expect(c.answers.get(2)?.answers.map((a) => nameFromData(a.data))).toEqual(['web.front']);
    const many = c.answers.get(3);
    expect(many?.header.tc).toBe(false);
    expect(many?.answers).toHaveLength(100);
    // The connection stays open for more.
    c.socket.write(frame(buildQuery(4, 'web', RRType.A)));
    await until(() => c.answers.has(4));
  });

  it('answers queries sent before the client half-closes, then closes', async () => {
    const up = await tcpUpstream();
    const { port } = await responder({ names: table(), upstreams: [{ address: LOOPBACK, port: up.port }] });
    const c = await client(port);
    c.socket.end(Buffer.concat([frame(buildQuery(5, 'web', RRType.A)), frame(buildQuery(6, 'example.test', RRType.A))]));
    await c.closed;
    expect(c.answers.get(5)?.answers).toHaveLength(1);
    expect(c.answers.get(6)?.answers.map((a) => addressFromData(a.data))).toEqual(['192.0.2.1']);
  });

  it('forwards unknown names to the upstreams over TCP, the next one when one fails, SERVFAIL when all do', async () => {
    const refusing = await listening();
    const refusedPort = portOf(refusing);
    await new Promise((r) => refusing.close(r));
    const up = await tcpUpstream();
    const { port } = await responder({
      names: table(),
      timeoutMs: 500,
      upstreams: [
        { address: LOOPBACK, port: refusedPort },
        { address: LOOPBACK, port: up.port },
      ],
    });
    const c = await client(port);
    c.socket.write(frame(buildQuery(0x4242, 'example.test', RRType.A)));
    c.socket.write(frame(buildQuery(0x4343, reverseName('192.0.2.1'), RRType.PTR)));
    await until(() => c.answers.size === 2);
    expect(c.answers.get(0x4242)?.answers.map((a) => [a.ttl, addressFromData(a.data)])).toEqual([[30, '192.0.2.1']]);
    expect(c.answers.get(0x4343)?.header.rcode).toBe(Rcode.NXDOMAIN);
    expect(up.seen.sort()).toEqual(['1.2.0.192.in-addr.arpa', 'example.test']);

    const { port: lonely } = await responder({ names: table(), timeoutMs: 500, upstreams: [{ address: LOOPBACK, port: refusedPort }] });
    const d = await client(lonely);
    d.socket.write(frame(buildQuery(7, 'example.test', RRType.A)));
    await until(() => d.answers.has(7));
    expect(d.answers.get(7)?.header.rcode).toBe(Rcode.SERVFAIL);
  });

  it('gives up on an upstream that accepts but does not answer', async () => {
    const mute = await listening((s) => s.on('error', () => s.destroy()));
    cleanup.unshift(() => mute.close());
    const { port } = await responder({ names: table(), timeoutMs: 100, upstreams: [{ address: LOOPBACK, port: portOf(mute) }] });
    const c = await client(port);
    const started = Date.now();
    c.socket.write(frame(buildQuery(8, 'slow.test', RRType.A)));
    await until(() => c.answers.has(8));
    expect(c.answers.get(8)?.header.rcode).toBe(Rcode.SERVFAIL);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('closes idle connections, and all of them when it stops', async () => {
    const { port } = await responder({ names: table(), tcpIdleTimeoutMs: 100 });
    const idle = await client(port);
    idle.socket.write(frame(buildQuery(9, 'web', RRType.A)));
    await until(() => idle.answers.has(9));
    await idle.closed;

    const { port: other, r: stopping } = await responder({ names: table() });
    const open = await client(other);
    open.socket.write(frame(buildQuery(10, 'web', RRType.A)));
    await until(() => open.answers.has(10));
    stopping.close();
    await open.closed;
  });

  it("answers FORMERR when a message's id is readable, skips one that has none, and keeps the connection", async () => {
    const { port } = await responder({ names: table() });
    const c = await client(port);
    c.socket.write(frame(buildQuery(11, 'web', RRType.A).subarray(0, 15)));
    await until(() => c.answers.has(11));
    expect(c.answers.get(11)?.header.rcode).toBe(Rcode.FORMERR);
    c.socket.write(frame(Buffer.from('xx')));
    c.socket.write(frame(buildQuery(12, 'web', RRType.A)));
    await until(() => c.answers.has(12));
  });
});
