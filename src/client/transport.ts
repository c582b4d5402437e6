// HTTP/1.1 to the daemon: over its unix socket one request per connection
// (http1.ts, without loading node:http), over TCP with TLS client
// certificates through node:https, and streams (events) through node:http,
// both loaded only when used. A failure to reach the daemon, or a connection
// that breaks before the answer, becomes a DaemonConnectionError whose code
// says which (ENOENT and ECONNREFUSED: the request never left; ECONNRESET:
// it may have been carried out).
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';
import { DaemonConnectionError } from '../core/errors.js';
import { formatAddress, type DaemonAddress } from './address.js';
import { requestOnce } from './http1.js';

/** PEM contents for a tcp:// daemon (dockerd's --tlsverify setup). */
export interface TlsCredentials {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Codes that mean the request never reached the daemon, so sending it again is always safe. */
export const NOT_SENT = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES']);

/** A handshake that failed (certificates): nothing was sent, and sending again would fail the same way. */
const TLS_REFUSAL = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|EPROTO)/;

export class Transport {
  constructor(
    readonly address: DaemonAddress,
    private readonly tls?: TlsCredentials,
  ) {}

  get label(): string {
    return formatAddress(this.address);
  }

  private failure(e: NodeJS.ErrnoException): DaemonConnectionError {
    const code = e.code ?? 'ECONNRESET';
    const what = NOT_SENT.has(code)
      ? `cannot reach netplumbd at ${this.label}: ${e.message}`
      : TLS_REFUSAL.test(code)
        ? `TLS with netplumbd at ${this.label} failed before anything was sent: ${e.message}`
        : `the connection to netplumbd at ${this.label} broke before it answered (${e.message}); the request may or may not have been carried out`;
    return new DaemonConnectionError(this.label, code, what);
  }

  /** node:http (unix) or node:https (tcp, with the client certificate) for requests that need them. */
  private async request(method: string, path: string, headers: Record<string, string | number>): Promise<ClientRequest> {
    const base: RequestOptions = { method, path, headers };
    if (this.address.kind === 'unix') return (await import('node:http')).request({ ...base, headers: { Host: 'netplumb', ...headers }, socketPath: this.address.path });
    if (!this.tls)
      throw new DaemonConnectionError(this.label, 'EPROTO', `${this.label}: a tcp:// daemon is reached only with TLS client certificates (give tls: { ca, cert, key })`);
    const { ca, cert, key } = this.tls;
    return (await import('node:https')).request({ ...base, host: this.address.host, port: this.address.port, ca, cert, key });
  }

  /** Sends one request and reads the whole answer. */
  async send(method: string, path: string, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {};
    if (this.address.kind === 'unix') {
      try {
        return await requestOnce(this.address.path, method, path, headers, payload);
      } catch (e) {
        throw this.failure(e as NodeJS.ErrnoException);
      }
    }
    const req = await this.request(method, path, headers);
    return new Promise((resolve, reject) => {
      req.once('error', (e: NodeJS.ErrnoException) => reject(this.failure(e)));
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', (e: NodeJS.ErrnoException) => reject(this.failure(e)));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.end(payload);
    });
  }

  /** Sends a request whose answer is a stream (events); the caller reads and destroys it. */
  async open(method: string, path: string): Promise<IncomingMessage> {
    const req = await this.request(method, path, {});
    return new Promise((resolve, reject) => {
      req.once('error', (e: NodeJS.ErrnoException) => reject(this.failure(e)));
      req.once('response', resolve);
      req.end();
    });
  }

  /** Nothing is kept between requests; here for symmetry with the engine's close(). */
  close(): void {}
}
