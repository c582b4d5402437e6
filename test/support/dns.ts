// The client and fake-upstream ends of DNS conversations, for the tests of
// the responder (on loopback) and of a network's DNS (between namespaces).
import type dgram from 'node:dgram';
import type net from 'node:net';
import { afterEach } from 'vitest';
import { FrameReader, frame } from '../../src/dns/tcp-frames.js';
import { buildQuery, buildResponse, parseResponse, Rcode, type DnsMessage } from '../../src/dns/wire.js';

export const LOOPBACK = '127.0.0.1';

/**
 * A list of closers run after each test of the file, in order: push for
 * sockets, unshift for what must close before them (a responder before the
 * sockets it answers on).
 */
export function closedAfterEach(): (() => void)[] {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const f of closers.splice(0)) f();
  });
  return closers;
}

/** Sends one query from `socket` to address:port and parses the next datagram it receives. */
export async function askUdp(socket: dgram.Socket, address: string, port: number, id: number, name: string, type: number): Promise<DnsMessage> {
  const reply = new Promise<Buffer>((resolve) => socket.once('message', resolve));
  socket.send(buildQuery(id, name, type), port, address);
  return parseResponse(await reply);
}

/** What the fake upstreams know: "example.test" is `address` (TTL 30), every other name NXDOMAIN. */
export function exampleTestAnswer(query: DnsMessage, address = '192.0.2.1'): Buffer {
  return query.questions[0]?.name === 'example.test'
    ? buildResponse(query, { answers: [{ address, ttl: 30 }] })
    : buildResponse(query, { rcode: Rcode.NXDOMAIN });
}

/** Serves a fake upstream's TCP connection: every framed query gets `answer(query)`, framed. */
export function answerFramed(socket: net.Socket, answer: (query: Buffer) => Buffer): void {
  const reader = new FrameReader();
  socket.on('data', (chunk: Buffer) => {
    for (const m of reader.push(chunk)) socket.write(frame(answer(m)));
  });
  // A client that resets is not the test's failure.
  socket.on('error', () => socket.destroy());
}

/** The answers that arrive on a DNS-over-TCP client connection, by id (they may come out of order). */
export class TcpAnswers {
  readonly byId = new Map<number, DnsMessage>();
  private readonly waiting = new Map<number, () => void>();

  constructor(socket: net.Socket) {
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const m of reader.push(chunk)) {
        const parsed = parseResponse(m);
        this.byId.set(parsed.header.id, parsed);
        this.waiting.get(parsed.header.id)?.();
      }
    });
  }

  /** The answer with `id`, once it has come. */
  async get(id: number): Promise<DnsMessage> {
    if (!this.byId.has(id)) await new Promise<void>((resolve) => this.waiting.set(id, resolve));
    return this.byId.get(id) as DnsMessage;
  }
}
