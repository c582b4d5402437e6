// One HTTP/1.1 exchange on a fresh unix-socket connection: write the request
// with `Connection: close`, read until the daemon closes, split status,
// headers and body (Content-Length or chunked). node:http does the same
// with more machinery than one request needs, and loading it is a sizeable
// part of what a short-lived client (the CLI) costs to start.
import { connect } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An error carrying a system code, as the socket's own errors do. */
function broken(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) throw broken('the chunked answer ended in the middle of a chunk size');
    const size = parseInt(data.subarray(at, eol).toString('latin1').split(';')[0] as string, 16);
    if (!Number.isFinite(size)) throw broken('a chunk size of the answer is not hexadecimal');
    if (size === 0) return Buffer.concat(parts);
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Parses a complete answer (the connection has ended). */
export function parseAnswer(data: Buffer): RawAnswer {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) throw broken('the connection closed before the answer was complete');
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (!m) throw broken(`not an HTTP answer: ${JSON.stringify((statusLine ?? '').slice(0, 40))}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  let body = data.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (body.length < length) throw broken('the connection closed before the whole answer arrived');
    body = body.subarray(0, length);
  }
  return { status: Number(m[1]), headers, body };
}

export function requestOnce(socketPath: string, method: string, path: string, headers: Record<string, string | number>, payload?: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(socketPath);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('error', reject);
    s.once('end', () => {
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (e) {
        reject(e);
      }
    });
    const head = [`${method} ${path} HTTP/1.1`, 'Host: netplumb', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (payload === undefined && (method === 'POST' || method === 'PUT')) head.push('Content-Length: 0');
    s.write(`${head.join('\r\n')}\r\n\r\n`);
    if (payload) s.write(payload);
  });
}
