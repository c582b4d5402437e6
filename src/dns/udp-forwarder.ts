// Forwards queries to the upstream resolvers over UDP, one upstream after the
// other: each forwarded query gets a fresh random id so answers can be matched
// (and spoofed answers, or answers from anyone we did not ask, dropped); the
// client's id is put back on the answer. SERVFAIL when no upstream answers.
import type dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { canonicalAddress } from '../addressing/ipnet.js';
import { buildResponse, parseResponse, Rcode, withId, type DnsMessage } from './wire.js';

export interface UpstreamAddress {
  address: string;
  port: number;
}

interface Pending {
  query: DnsMessage;
  message: Buffer;
  attempt: number;
  timer?: NodeJS.Timeout;
  done: (answer: Buffer) => void;
}

export class UdpForwarder {
  private readonly sockets = new Map<4 | 6, dgram.Socket>();
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(
    private readonly upstreams: readonly UpstreamAddress[],
    private readonly timeoutMs: number,
    private readonly createSocket: (family: 4 | 6) => dgram.Socket,
  ) {}

  /** Queries waiting for an upstream. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** The upstream's answer to `raw` (parsed as `query`) with the client's id, or SERVFAIL. */
  forward(query: DnsMessage, raw: Uint8Array): Promise<Buffer> {
    return new Promise((done) => {
      const id = this.freshId();
      if (id === undefined || this.closed) return done(servfail(query));
      const p: Pending = { query, message: withId(raw, id), attempt: -1, done };
      this.pending.set(id, p);
      this.tryNext(id, p);
    });
  }

  /** Answers SERVFAIL to every pending query and closes the sockets it made. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) this.finish(id, p, servfail(p.query));
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  private freshId(): number | undefined {
    if (this.pending.size >= 0x10000) return undefined;
    for (;;) {
      const id = randomInt(0x10000);
      if (!this.pending.has(id)) return id;
    }
  }

  /** Sends the query to the next upstream, or answers SERVFAIL when none is left. */
  private tryNext(id: number, p: Pending): void {
    clearTimeout(p.timer);
    p.attempt++;
    const up = this.upstreams[p.attempt];
    if (!up || this.closed) return this.finish(id, p, servfail(p.query));
    p.timer = setTimeout(() => this.tryNext(id, p), this.timeoutMs);
    try {
      this.socket(isIP(up.address) === 6 ? 6 : 4).send(p.message, up.port, up.address, (err) => {
        if (err && this.pending.get(id) === p) this.tryNext(id, p);
      });
    } catch {
      this.tryNext(id, p);
    }
  }

  private finish(id: number, p: Pending, answer: Buffer): void {
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.done(answer);
  }

  private socket(family: 4 | 6): dgram.Socket {
    let s = this.sockets.get(family);
    if (!s) {
      s = this.createSocket(family);
      s.on('message', (msg, rinfo) => this.onAnswer(msg, rinfo));
      // Errors on the upstream socket surface as timeouts of the queries that used it.
      s.on('error', () => undefined);
      this.sockets.set(family, s);
    }
    return s;
  }

  private onAnswer(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let id: number;
    try {
      id = parseResponse(msg).header.id;
    } catch {
      return;
    }
    const p = this.pending.get(id);
    if (!p) return;
    // Only the upstreams we asked may answer: anything else is a spoofing attempt or a stray.
    const from = canonicalAddress(rinfo.address);
    if (!this.upstreams.some((u) => u.address === from && u.port === rinfo.port)) return;
    this.finish(id, p, withId(msg, p.query.header.id));
  }
}

export function servfail(query: DnsMessage): Buffer {
  return buildResponse(query, { rcode: Rcode.SERVFAIL });
}
