// The client's one-request HTTP/1.1 reader, against answers as Node's HTTP
// server writes them (a real server on a unix socket) and hand-made ones.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAnswer, requestOnce } from '../../../src/client/http1.js';

describe('one HTTP/1.1 exchange', () => {
  it("reads Node's server's answers: Content-Length, chunked, empty, and the request body arrives whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-http1-'));
    const socket = join(dir, 's.sock');
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        if (req.url === '/echo') return void res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
        if (req.url === '/chunked') {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('one ');
          res.write('two ');
          return void res.end('three');
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const payload = Buffer.from(JSON.stringify({ name: 'x'.repeat(100_000) }));
      const echo = await requestOnce(socket, 'POST', '/echo', { 'Content-Type': 'application/json', 'Content-Length': payload.length }, payload);
      expect([echo.status, echo.headers['content-type'], echo.body.equals(payload)]).toEqual([201, 'application/json', true]);
      const chunked = await requestOnce(socket, 'GET', '/chunked', {});
      expect([chunked.status, chunked.body.toString()]).toEqual([200, 'one two three']);
      const empty = await requestOnce(socket, 'DELETE', '/x', {});
      expect([empty.status, empty.body.length]).toEqual([204, 0]);
      await expect(requestOnce(join(dir, 'nobody.sock'), 'GET', '/', {})).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an answer cut short or not HTTP, as a broken connection', () => {
    expect(() => parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'))).toThrow(/before the whole answer/);
    expect(() => parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\nContent-Le'))).toThrow(/before the answer was complete/);
    expect(() => parseAnswer(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(/not an HTTP answer/);
    expect(parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n')).headers['set-cookie']).toBe('a, b');
  });
});
