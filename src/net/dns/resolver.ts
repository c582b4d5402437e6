// A network's DNS responder, like Docker's embedded DNS: answers A/AAAA for
// the sandboxes on the network and forwards everything else to upstream
// resolvers, rewriting the id so that answers can be matched (and spoofed
// answers from elsewhere dropped), and answering SERVFAIL when no upstream
// answers in time.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { randomInt } from 'node:crypto';
import { canonicalAddress } from '../ipnet.js';
import { parseResolvConf } from '../resolv-conf.js';
import { NameTable } from './names.js';
import {
  buildErrorForId,
  buildResponse,
  DnsFormatError,
  Opcode,
  parseQuery,
  parseResponse,
  Rcode,
  RRClass,
  RRType,
  withId,
  type DnsMessage,
  type RcodeValue,
} from './wire.js';

export interface Upstream {
  address: string;
  port?: number;
}

export interface ResolverOptions {
  names: NameTable;
  /** Where to forward other names; default: the nameservers of `resolvConfPath`. */
  upstreams?: Upstream[];
  resolvConfPath?: string;
  /** Forward names we do not know (false on `internal` networks: they get NXDOMAIN). Default true. */
  forward?: boolean;
  /** Time to wait for each upstream before trying the next (default 2000 ms). */
  timeoutMs?: number;
  /** TTL of our own answers (Docker's is 600 s). */
  ttl?: number;
  /** Makes the socket that talks to upstreams (default: a UDP socket in the current namespace). */
  createUpstreamSocket?: (family: 4 | 6) => dgram.Socket;
}

/** The host's resolvers from resolv.conf, in order (port 53). */
export function loadUpstreams(path = '/etc/resolv.conf'): Upstream[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return parseResolvConf(text).nameservers.map((address) => ({ address, port: 53 }));
}

interface Pending {
  clientAddress: string;
  clientPort: number;
  originalId: number;
  query: Buffer;
  attempt: number;
  timer?: NodeJS.Timeout;
}

export class DnsResponder {
  private readonly names: NameTable;
  private readonly upstreams: { address: string; port: number }[];
  private readonly forward: boolean;
  private readonly timeoutMs: number;
  private readonly ttl: number;
  private readonly createUpstreamSocket: (family: 4 | 6) => dgram.Socket;
  private readonly upstreamSockets = new Map<4 | 6, dgram.Socket>();
  private readonly pending = new Map<number, Pending>();
  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => this.handleQuery(msg, rinfo);
  private closed = false;

  /** Starts answering on `socket` (already bound, e.g. from sockets.bindUdp inside the sandbox's network). */
  constructor(
    readonly socket: dgram.Socket,
    opts: ResolverOptions,
  ) {
    this.names = opts.names;
    this.forward = opts.forward ?? true;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.ttl = opts.ttl ?? 600;
    this.createUpstreamSocket = opts.createUpstreamSocket ?? ((f) => dgram.createSocket(f === 4 ? 'udp4' : 'udp6'));
    this.upstreams = (opts.upstreams ?? loadUpstreams(opts.resolvConfPath)).map((u) => ({
      address: canonicalAddress(u.address, 'upstreams'),
      port: u.port ?? 53,
    }));
    socket.on('message', this.onMessage);
  }

  /** Number of forwarded queries waiting for an upstream. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Stops answering: detaches from the socket, fails pending queries with SERVFAIL, closes upstream sockets. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.off('message', this.onMessage);
    for (const [id, p] of this.pending) this.fail(id, p);
    for (const s of this.upstreamSockets.values()) s.close();
    this.upstreamSockets.clear();
  }

  private reply(buf: Buffer, address: string, port: number): void {
    try {
      this.socket.send(buf, port, address);
    } catch {
      // The socket was closed under us; nothing is left to answer on.
    }
  }

  private handleQuery(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let query: DnsMessage;
    try {
      query = parseQuery(msg);
    } catch (e) {
      if (e instanceof DnsFormatError && e.id !== undefined)
        this.reply(buildErrorForId(e.id, Rcode.FORMERR), rinfo.address, rinfo.port);
      return;
    }
    const answer = (rcode: RcodeValue, extra: Parameters<typeof buildResponse>[1] = {}): void =>
      this.reply(buildResponse(query, { rcode, ...extra }), rinfo.address, rinfo.port);
    if (query.header.opcode !== Opcode.QUERY) return answer(Rcode.NOTIMP);
    const q = query.questions[0];
    if (query.questions.length !== 1 || !q) return answer(Rcode.FORMERR);

    const known = q.class === RRClass.IN ? this.names.lookup(q.name) : undefined;
    if (known) {
      const list = q.type === RRType.A ? known.v4 : q.type === RRType.AAAA ? known.v6 : [];
      // A known name without addresses of the asked family is NODATA (NOERROR, no answer), never NXDOMAIN.
      return answer(Rcode.NOERROR, { authoritative: true, answers: list.map((address) => ({ address, ttl: this.ttl })) });
    }
    if (!this.forward) return answer(Rcode.NXDOMAIN);
    if (this.upstreams.length === 0) return answer(Rcode.SERVFAIL);
    this.startForward(query, msg, rinfo);
  }

  private freshId(): number | undefined {
    if (this.pending.size >= 0x10000) return undefined;
    for (;;) {
      const id = randomInt(0x10000);
      if (!this.pending.has(id)) return id;
    }
  }

  private startForward(query: DnsMessage, raw: Buffer, rinfo: dgram.RemoteInfo): void {
    const id = this.freshId();
    if (id === undefined) {
      this.reply(buildResponse(query, { rcode: Rcode.SERVFAIL }), rinfo.address, rinfo.port);
      return;
    }
    const p: Pending = {
      clientAddress: rinfo.address,
      clientPort: rinfo.port,
      originalId: query.header.id,
      query: withId(raw, id),
      attempt: -1,
    };
    this.pending.set(id, p);
    this.tryNext(id, p);
  }

  /** Sends the query to the next upstream, or answers SERVFAIL when none is left. */
  private tryNext(id: number, p: Pending): void {
    clearTimeout(p.timer);
    p.attempt++;
    const up = this.upstreams[p.attempt];
    if (!up || this.closed) return this.fail(id, p);
    p.timer = setTimeout(() => this.tryNext(id, p), this.timeoutMs);
    try {
      this.upstreamSocket(isIP(up.address) === 6 ? 6 : 4).send(p.query, up.port, up.address, (err) => {
        if (err && this.pending.get(id) === p) this.tryNext(id, p);
      });
    } catch {
      this.tryNext(id, p);
    }
  }

  private fail(id: number, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(id);
    try {
      const query = parseQuery(p.query);
      query.header.id = p.originalId;
      this.reply(buildResponse(query, { rcode: Rcode.SERVFAIL }), p.clientAddress, p.clientPort);
    } catch {
      // The query was parsed once already; it cannot fail here.
    }
  }

  private upstreamSocket(family: 4 | 6): dgram.Socket {
    let s = this.upstreamSockets.get(family);
    if (!s) {
      s = this.createUpstreamSocket(family);
      s.on('message', (msg, rinfo) => this.handleUpstream(msg, rinfo));
      // Errors on the upstream socket surface as timeouts of the queries that used it.
      s.on('error', () => undefined);
      this.upstreamSockets.set(family, s);
    }
    return s;
  }

  private handleUpstream(msg: Buffer, rinfo: dgram.RemoteInfo): void {
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
    clearTimeout(p.timer);
    this.pending.delete(id);
    this.reply(withId(msg, p.originalId), p.clientAddress, p.clientPort);
  }
}
