// Node's fetch (undici, the implementation Node ships) with every connection
// opened inside a namespace: undici's Agent asks our connector for a socket,
// and the connector resolves the name as the namespace resolves it and
// connects from inside, then wraps TLS around it for https. No keep-alive:
// each fetch opens its own connection, so a fault injected between two
// fetches (a partition, a dropped port) meets the second one, as it would
// meet a new client, instead of a pooled connection from before it.
import type net from 'node:net';
import tls from 'node:tls';
import { Agent, fetch as undiciFetch, type RequestInfo, type RequestInit, type Response } from 'undici';

export interface LabFetchInit extends RequestInit {
  /** For https: TLS options (a test CA in `ca`, or `rejectUnauthorized: false`). */
  tls?: tls.ConnectionOptions;
}

/** Opens a TCP connection to host:port from inside the namespace (the name resolved there). */
export type NamespaceConnect = (host: string, port: number) => Promise<net.Socket>;

export class NamespaceFetcher {
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly connect: NamespaceConnect) {}

  private agent(tlsOptions: tls.ConnectionOptions | undefined): Agent {
    const key = tlsOptions === undefined ? '' : JSON.stringify(tlsOptions, (_, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v));
    let agent = this.agents.get(key);
    if (agent) return agent;
    agent = new Agent({
      pipelining: 0,
      connect: (opts, callback) => {
        const https = opts.protocol === 'https:';
        const port = opts.port ? Number(opts.port) : https ? 443 : 80;
        this.connect(opts.hostname, port).then(
          (socket) => {
            if (!https) return callback(null, socket);
            const secure = tls.connect({ ...tlsOptions, socket, servername: opts.servername ?? opts.hostname, ALPNProtocols: ['http/1.1'] });
            secure.once('secureConnect', () => callback(null, secure));
            secure.once('error', (e) => callback(e, null));
          },
          (e: Error) => callback(e, null),
        );
      },
    });
    this.agents.set(key, agent);
    return agent;
  }

  fetch(url: RequestInfo, init: LabFetchInit = {}): Promise<Response> {
    const { tls: tlsOptions, ...rest } = init;
    return undiciFetch(url, { ...rest, dispatcher: this.agent(tlsOptions) });
  }

  /** Closes every connection kept alive for later requests. */
  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.destroy().catch(() => undefined)));
  }
}
