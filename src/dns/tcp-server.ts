// Serves DNS over TCP connections (RFC 7766): each connection may carry many
// queries, answered as they are ready (possibly out of order, 6.2.1.1); a
// connection with no query in flight that stays quiet for the idle timeout is
// closed (6.2.3), and one whose framing goes wrong is dropped.
import type net from 'node:net';
import { FrameReader, frame } from './tcp-frames.js';

/** Answers one raw query; undefined when there is nothing to send back. */
export type AnswerQuery = (raw: Buffer) => Promise<Buffer | undefined>;

export interface TcpServeOptions {
  /** Close a connection idle this long (default 10000 ms). */
  idleTimeoutMs?: number;
  /** Stop reading a connection with this many queries in flight until some are answered (default 64). */
  maxInFlight?: number;
}

export class DnsTcpServer {
  private readonly connections = new Set<net.Socket>();
  private readonly idleTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly onConnection = (socket: net.Socket): void => this.serve(socket);
  private closed = false;

  /** Starts answering connections accepted by `server` (already listening, e.g. from sockets.listenTcp). */
  constructor(
    readonly server: net.Server,
    private readonly answer: AnswerQuery,
    opts: TcpServeOptions = {},
  ) {
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 10_000;
    this.maxInFlight = opts.maxInFlight ?? 64;
    server.on('connection', this.onConnection);
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops taking connections from the server and drops the open ones; the server itself stays its owner's. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.off('connection', this.onConnection);
    for (const s of this.connections) s.destroy();
    this.connections.clear();
  }

  private serve(socket: net.Socket): void {
    if (this.closed) return void socket.destroy();
    this.connections.add(socket);
    // A client may send its queries and half-close before the answers are ready: keep writing until they are.
    socket.allowHalfOpen = true;
    const reader = new FrameReader();
    let inFlight = 0;
    let ended = false;
    const settle = (): void => {
      inFlight--;
      if (socket.isPaused() && inFlight < this.maxInFlight) socket.resume();
      if (ended && inFlight === 0) socket.end();
    };
    socket.setTimeout(this.idleTimeoutMs, () => {
      if (inFlight === 0) socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      for (const query of reader.push(chunk)) {
        inFlight++;
        this.answer(query)
          .then((reply) => {
            if (reply && socket.writable) socket.write(frame(reply));
          })
          .catch(() => undefined)
          .finally(settle);
      }
      if (inFlight >= this.maxInFlight) socket.pause();
    });
    socket.on('end', () => {
      ended = true;
      // A message cut short by the client's end will never be complete.
      if (inFlight === 0) socket.end();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
  }
}
