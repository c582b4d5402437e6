// HTTP/1.1 to etcd over a socket the caller opens: an engine reaches the
// store from the namespace it manages (its host), whatever namespace its
// process runs in, as its DNS forwarders do.
import http from 'node:http';
import net from 'node:net';

/** Opens a TCP connection to host:port; the default connects from this process's own namespace. */
export type Connector = (host: string, port: number, timeoutMs: number) => Promise<net.Socket>;

export const directConnector: Connector = (host, port, timeoutMs) =>
  new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });

/** POSTs JSON to `endpoint` (http://host:port) + path; resolves to the response, its body not yet read. */
export async function post(connect: Connector, endpoint: string, path: string, body: unknown, timeoutMs: number): Promise<http.IncomingMessage> {
  const url = new URL(path, endpoint);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 80);
  const socket = await connect(host, port, timeoutMs);
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({
      method: 'POST',
      host,
      port,
      path: url.pathname,
      headers: { 'content-type': 'application/json', 'content-length': payload.length, connection: 'close' },
      createConnection: () => socket,
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.once('error', (e) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    });
    req.end(payload);
  });
}

export async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
