// Forwards queries that came over TCP to the upstream resolvers over TCP
// (RFC 7766: a client that asks over TCP wants an answer that may not fit a
// datagram), one upstream after the other, one connection per query.
// Each upstream gets `timeoutMs` to connect and answer; SERVFAIL when none does.
import net from 'node:net';
import { FrameReader, frame } from './tcp-frames.js';
import type { UpstreamAddress } from './udp-forwarder.js';
import { servfail } from './udp-forwarder.js';
import { parseResponse, type DnsMessage } from './wire.js';

/** Opens a TCP connection to an upstream (rejecting after `timeoutMs`); e.g. sockets.connectTcp in the host namespace. */
export type ConnectUpstream = (upstream: UpstreamAddress, timeoutMs: number) => Promise<net.Socket>;

/** Connects from the current namespace. */
export const connectHere: ConnectUpstream = (up, timeoutMs) =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: up.address, port: up.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${up.address}:${up.port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
  });

export class TcpForwarder {
  private readonly open = new Set<net.Socket>();
  private closed = false;

  constructor(
    private readonly upstreams: readonly UpstreamAddress[],
    private readonly timeoutMs: number,
    private readonly connect: ConnectUpstream,
  ) {}

  /** The first upstream's answer to `raw` (parsed as `query`), or SERVFAIL. */
  async forward(query: DnsMessage, raw: Uint8Array): Promise<Buffer> {
    for (const up of this.upstreams) {
      if (this.closed) break;
      const answer = await this.exchange(up, raw, query.header.id).catch(() => undefined);
      if (answer) return answer;
    }
    return servfail(query);
  }

  /** Ends every upstream connection; queries still waiting get SERVFAIL. */
  close(): void {
    this.closed = true;
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  private async exchange(up: UpstreamAddress, raw: Uint8Array, id: number): Promise<Buffer> {
    const deadline = Date.now() + this.timeoutMs;
    const socket = await this.connect(up, this.timeoutMs);
    if (this.closed) {
      socket.destroy();
      throw new Error('closed');
    }
    this.open.add(socket);
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${up.address}:${up.port} did not answer in time`)), Math.max(1, deadline - Date.now()));
        const settle = (f: () => void): void => {
          clearTimeout(timer);
          f();
        };
        const reader = new FrameReader();
        socket.on('data', (chunk: Buffer) => {
          for (const message of reader.push(chunk)) {
            try {
              // The connection is ours alone, but a stray or mismatched message is still not the answer.
              if (parseResponse(message).header.id === id) return settle(() => resolve(message));
            } catch {
              // not a response: keep waiting
            }
          }
        });
        socket.once('error', (e) => settle(() => reject(e)));
        socket.once('close', () => settle(() => reject(new Error(`${up.address}:${up.port} closed without an answer`))));
        socket.write(frame(raw));
      });
    } finally {
      this.open.delete(socket);
      socket.destroy();
    }
  }
}
