// A network's DNS responder, like Docker's embedded DNS: answers A/AAAA for
// the names of the sandboxes on the network and PTR for their addresses,
// and forwards everything else to upstream resolvers, over UDP for queries
// that came over UDP and over TCP for those that came over TCP. UDP answers
// larger than the client takes are truncated with TC set, so it asks again
// over TCP.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { canonicalAddress } from '../addressing/ipnet.js';
import { parseResolvConf } from './resolv-conf.js';
import { decide, type LocalContext } from './local-answer.js';
import type { NameTable } from './names.js';
import { fitToSize, udpLimit } from './size.js';
import { connectHere, TcpForwarder, type ConnectUpstream } from './tcp-forwarder.js';
import { DnsTcpServer } from './tcp-server.js';
import { UdpForwarder } from './udp-forwarder.js';

export interface Upstream {
  address: string;
  port?: number;
}

/** The largest message a TCP frame carries. */
const TCP_MAX_SIZE = 0xffff;

export interface ResolverOptions {
  names: NameTable;
  /** The network's name: PTR answers are "<sandbox name>.<domain>", as Docker's are "<container>.<network>". */
  domain?: string;
  /** Where to forward other names; default: the nameservers of `resolvConfPath`. */
  upstreams?: Upstream[];
  resolvConfPath?: string;
  /** Forward names we do not know (false on `internal` networks: they get NXDOMAIN). Default true. */
  forward?: boolean;
  /** Time to wait for each upstream before trying the next (default 2000 ms). */
  timeoutMs?: number;
  /** TTL of our own answers (Docker's is 600 s). */
  ttl?: number;
  /** Makes the socket that talks to upstreams over UDP (default: a UDP socket in the current namespace). */
  createUpstreamSocket?: (family: 4 | 6) => dgram.Socket;
  /** Opens TCP connections to upstreams (default: from the current namespace). */
  connectUpstreamTcp?: ConnectUpstream;
  /** Close TCP client connections idle this long (default 10000 ms). */
  tcpIdleTimeoutMs?: number;
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

export class DnsResponder {
  private readonly context: LocalContext;
  private readonly udp: UdpForwarder;
  private readonly tcp: TcpForwarder;
  private readonly tcpIdleTimeoutMs: number | undefined;
  private readonly tcpServers: DnsTcpServer[] = [];
  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => this.handleDatagram(msg, rinfo);
  private closed = false;

  /** Starts answering on `socket` (already bound, e.g. from sockets.bindUdp inside the sandbox's network). */
  constructor(
    readonly socket: dgram.Socket,
    opts: ResolverOptions,
  ) {
    const upstreams = (opts.upstreams ?? loadUpstreams(opts.resolvConfPath)).map((u) => ({
      address: canonicalAddress(u.address, 'upstreams'),
      port: u.port ?? 53,
    }));
    const timeoutMs = opts.timeoutMs ?? 2000;
    this.context = {
      names: opts.names,
      ttl: opts.ttl ?? 600,
      ...(opts.domain ? { domain: opts.domain } : {}),
      forward: opts.forward ?? true,
      hasUpstreams: upstreams.length > 0,
    };
    this.udp = new UdpForwarder(
      upstreams,
      timeoutMs,
      opts.createUpstreamSocket ?? ((f) => dgram.createSocket(f === 4 ? 'udp4' : 'udp6')),
    );
    this.tcp = new TcpForwarder(upstreams, timeoutMs, opts.connectUpstreamTcp ?? connectHere);
    this.tcpIdleTimeoutMs = opts.tcpIdleTimeoutMs;
    socket.on('message', this.onMessage);
  }

  /** Also answers DNS over TCP on connections `server` accepts (already listening, e.g. from sockets.listenTcp). */
  serveTcp(server: net.Server): void {
    if (this.closed) return;
    const answer = async (raw: Buffer): Promise<Buffer | undefined> => {
      const reply = await this.answer(raw, 'tcp');
      return reply && fitToSize(reply, TCP_MAX_SIZE);
    };
    this.tcpServers.push(
      new DnsTcpServer(server, answer, this.tcpIdleTimeoutMs === undefined ? {} : { idleTimeoutMs: this.tcpIdleTimeoutMs }),
    );
  }

  /** Number of queries forwarded over UDP waiting for an upstream. */
  get pendingCount(): number {
    return this.udp.pendingCount;
  }

  /**
   * Stops answering: detaches from the socket and the TCP servers (dropping
   * their connections), fails pending forwards with SERVFAIL, closes upstream
   * sockets. The listening socket and servers stay their owner's to close.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.off('message', this.onMessage);
    for (const t of this.tcpServers.splice(0)) t.close();
    this.udp.close();
    this.tcp.close();
  }

  private async answer(raw: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    const d = decide(raw, this.context);
    if ('drop' in d) return undefined;
    if ('reply' in d) return d.reply;
    return transport === 'udp' ? this.udp.forward(d.forward, raw) : this.tcp.forward(d.forward, raw);
  }

  private handleDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    void this.answer(msg, 'udp').then((reply) => {
      if (!reply) return;
      try {
        this.socket.send(fitToSize(reply, udpLimit(msg)), rinfo.port, rinfo.address);
      } catch {
        // The socket was closed under us; nothing is left to answer on.
      }
    });
  }
}
