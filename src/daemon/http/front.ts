// What every request passes before the router: one log line and metrics
// when it is answered (method, route, status, duration, and what the route
// added with logFields: one line per request, not one per layer), an answer in JSON
// even to a request too malformed to parse, and the count of requests in
// flight, so that a stopping daemon answers them all before it exits.
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import { Router } from './router.js';

let lastId = 0;

/** The id of a request on the daemon's log lines (HTTP and the CNI socket alike). */
export const nextRequestId = (): number => ++lastId;

export class HttpFront<S> {
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private stopping = false;

  constructor(
    private readonly router: Router<S>,
    private readonly log: Logger,
    private readonly metrics: DaemonMetrics,
  ) {}

  /** Counts a request in flight until the returned function is called (a stopping daemon waits for it). */
  admit(): () => void {
    this.inFlight++;
    return () => {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    };
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const start = process.hrtime.bigint();
    const id = nextRequestId();
    const done = this.admit();
    // A stopping daemon still answers, then closes the connection so the client goes elsewhere.
    if (this.stopping) res.setHeader('Connection', 'close');
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = Router.routeOf(res) ?? 'unmatched';
      const status = res.headersSent ? res.statusCode : 0;
      this.metrics.requests.inc({ method: req.method ?? '', route, status: String(status) });
      this.metrics.requestSeconds.observe({ route }, seconds);
      // Health checks and scrapes would drown the rest at info level.
      const quiet = route.endsWith('/_ping') || route.endsWith('/metrics');
      this.log[quiet ? 'debug' : 'info'](
        { req: { id, method: req.method, url: req.url }, res: { status }, route, durationMs: Number((seconds * 1000).toFixed(3)), ...Router.logFieldsOf(res) },
        'request',
      );
      done();
    });
    void this.router.handle(req, res);
  };

  /** Answers what Node's parser refused (bad framing, headers too large) in JSON, then closes. */
  readonly clientError = (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify({ message: `malformed HTTP request: ${err.message}`, netplumb: { class: 'RequestError', status } });
    this.log.info({ err: err.message, code: err.code, status }, 'refused a malformed request');
    this.metrics.requests.inc({ method: '', route: 'malformed', status: String(status) });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  attach(server: Server): void {
    server.on('request', this.handle);
    server.on('clientError', this.clientError);
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 30_000;
    server.requestTimeout = 120_000;
  }

  /** Resolves when every request in flight has been answered (streams included), or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.drained = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  get pending(): number {
    return this.inFlight;
  }
}
