// HTTP/1.1 to the daemon over its unix socket (or TCP with TLS client
// certificates), with keep-alive for long-lived clients. A failure to reach
// it, or a connection that breaks before the answer, becomes a
// DaemonConnectionError whose code says which (ENOENT and ECONNREFUSED: the
// request never left; ECONNRESET: it may have been carried out).
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { DaemonConnectionError } from '../core/errors.js';
import { formatAddress, type DaemonAddress } from './address.js';

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
  private readonly agent: http.Agent;
  private httpsRequest: typeof http.request | undefined;

  constructor(
    readonly address: DaemonAddress,
    private readonly tls?: TlsCredentials,
    keepAlive = true,
  ) {
    this.agent = new http.Agent({ keepAlive, maxSockets: 16 });
  }

  get label(): string {
    return formatAddress(this.address);
  }

  private async request(method: string, path: string, headers: Record<string, string | number>): Promise<http.ClientRequest> {
    const base = { method, path, headers };
    // Over a unix socket the Host header names no host; dockerd's clients send "docker", ours "netplumb".
    if (this.address.kind === 'unix') return http.request({ ...base, headers: { Host: 'netplumb', ...headers }, socketPath: this.address.path, agent: this.agent });
    if (!this.tls)
      throw new DaemonConnectionError(this.label, 'EPROTO', `${this.label}: a tcp:// daemon is reached only with TLS client certificates (give tls: { ca, cert, key })`);
    this.httpsRequest ??= (await import('node:https')).request as typeof http.request;
    return this.httpsRequest({ ...base, host: this.address.host, port: this.address.port, ca: this.tls.ca, cert: this.tls.cert, key: this.tls.key } as http.RequestOptions);
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

  /** Sends one request and reads the whole answer. */
  async send(method: string, path: string, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {};
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

  close(): void {
    this.agent.destroy();
  }
}
