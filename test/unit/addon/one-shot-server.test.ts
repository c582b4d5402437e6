// The addon's OneShotServer (netplumbd's CNI socket): one request per
// connection, read to the client's EOF, one answer, then the close; a request
// over the limit, or not whole in time, is dropped unanswered; close() stops
// new connections while the requests being handled still get their answers. No privileges: a unix
// socket in a temp directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../../src/addon/native.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'np-oneshot-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sends `request`, shuts the writing side, and reads to the server's close: the answer, or the error that ended it. */
function ask(path: string, request: string | Buffer): Promise<{ answer: string; error?: string }> {
  return new Promise((resolve) => {
    let answer = '';
    const s = connect(path, () => s.end(request));
    s.setEncoding('utf8').on('data', (d: string) => (answer += d));
    s.on('close', () => resolve({ answer }));
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ answer, error: e.code ?? e.message }));
  });
}

describe('OneShotServer', () => {
  it('hands each request whole to the callback and sends each its own answer, many at once', async () => {
    const path = join(dir, 'many.sock');
    const seen: string[] = [];
    const server = new native.OneShotServer(path, 1 << 20, 60_000, (id, request) => {
      seen.push(request.toString());
      // Answered out of order, after the others came in.
      setTimeout(() => expect(server.reply(id, `re: ${request.toString().length}`)).toBe(true), Math.random() * 20);
    });
    try {
      const big = 'x'.repeat(300_000);
      const answers = await Promise.all([...Array.from({ length: 20 }, (_, i) => ask(path, `req ${i}`)), ask(path, big)]);
      expect(answers.slice(0, 20).map((a) => a.answer)).toEqual(Array.from({ length: 20 }, (_, i) => `re: ${`req ${i}`.length}`));
      expect(answers[20]).toEqual({ answer: `re: ${big.length}` });
      expect(seen).toHaveLength(21);
      expect(seen).toContain(big);
      expect(server.connections()).toBe(0);
    } finally {
      server.close();
    }
  });

  it('drops a request over its limit unread, never calls back for it, and answers an id once', async () => {
    const path = join(dir, 'limit.sock');
    const ids: number[] = [];
    const server = new native.OneShotServer(path, 1000, 60_000, (id) => {
      ids.push(id);
      server.reply(id, 'ok');
      expect(server.reply(id, 'again')).toBe(false);
    });
    try {
      expect((await ask(path, 'y'.repeat(5000))).answer).toBe('');
      expect(ids).toEqual([]);
      expect(await ask(path, 'small')).toEqual({ answer: 'ok' });
      expect(ids).toHaveLength(1);
    } finally {
      server.close();
    }
  });

  it('after close() takes no connection, but answers the requests it was handling', async () => {
    const path = join(dir, 'close.sock');
    let pending: number | undefined;
    let arrived: () => void = () => undefined;
    const handed = new Promise<void>((r) => (arrived = r));
    const server = new native.OneShotServer(path, 1000, 60_000, (id) => {
      pending = id;
      arrived();
    });
    const inFlight = ask(path, 'slow');
    await handed;
    server.close();
    expect((await ask(path, 'late')).error).toMatch(/ENOENT|ECONNREFUSED/);
    expect(server.connections()).toBe(1);
    expect(server.reply(pending!, 'still answered')).toBe(true);
    expect(await inFlight).toEqual({ answer: 'still answered' });
    expect(server.connections()).toBe(0);
  });

  it('closes a connection whose request is not whole in time, and serves the others meanwhile', async () => {
    const path = join(dir, 'slow.sock');
    const server = new native.OneShotServer(path, 1000, 100, (id, request) => server.reply(id, `re: ${request.toString()}`));
    try {
      const stuck = connect(path);
      stuck.write('never ended');
      const closed = new Promise<string>((r) => {
        let got = '';
        stuck.setEncoding('utf8').on('data', (d: string) => (got += d)).on('close', () => r(got));
      });
      expect(await ask(path, 'quick')).toEqual({ answer: 're: quick' });
      expect(await closed).toBe('');
      expect(server.connections()).toBe(0);
    } finally {
      server.close();
    }
  });

  it('refuses a path where a socket already is, with the reason', () => {
    const path = join(dir, 'twice.sock');
    const first = new native.OneShotServer(path, 10, 60_000, () => undefined);
    try {
      expect(() => new native.OneShotServer(path, 10, 60_000, () => undefined)).toThrow(expect.objectContaining({ code: 'EADDRINUSE', message: expect.stringContaining(path) }));
    } finally {
      first.close();
    }
  });
});
