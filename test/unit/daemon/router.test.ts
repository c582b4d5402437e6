// Route modules over a real HTTP server on a unix socket: Docker's modules
// answer with and without /v1.xx, versions above 1.41 are refused as dockerd
// refuses them, unknown paths and methods get JSON errors, and a module words
// its own errors.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoSuchObjectError } from '../../../src/core/errors.js';
import { errorAnswer, sendJson } from '../../../src/daemon/http/reply.js';
import { Router, type RouteModule } from '../../../src/daemon/http/router.js';
import { object, str } from '../../../src/daemon/http/schema.js';

const docker: RouteModule<{ greeting: string }> = {
  name: 'docker-like',
  docker: true,
  routes: [
    { method: 'GET', path: '/things/:id', handle: async (c) => sendJson(c.res, 200, { id: c.params.id, version: c.apiVersion ?? null, greeting: c.services.greeting }) },
    { method: 'POST', path: '/things/create', handle: async (c) => sendJson(c.res, 201, await c.body(object({ Name: str }), { required: true })) },
    { method: 'DELETE', path: '/things/:id', handle: async (c) => Promise.reject(new NoSuchObjectError('network', c.params.id as string)) },
  ],
  describeError: (e) => (e instanceof NoSuchObjectError ? { ...errorAnswer(e), message: `thing ${e.ref} not found` } : undefined),
};
const own: RouteModule<{ greeting: string }> = {
  name: 'own',
  routes: [{ method: 'GET', path: '/own/v1/hello', handle: async (c) => sendJson(c.res, 200, { hello: c.services.greeting }) }],
};

let dir: string;
let socket: string;
let server: http.Server;

function ask(method: string, path: string, body?: string, type = 'application/json'): Promise<{ status: number; json: Record<string, unknown>; headers: http.IncomingHttpHeaders }> {
  return new Promise((res, rej) => {
    const req = http.request({ socketPath: socket, method, path, headers: body === undefined ? {} : { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) } }, (r) => {
      let text = '';
      r.on('data', (d: Buffer) => (text += d));
      r.on('end', () => res({ status: r.statusCode ?? 0, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: r.headers }));
    });
    req.on('error', rej);
    req.end(body);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'np-router-'));
  socket = join(dir, 'r.sock');
  const router = new Router([docker, own], { greeting: 'hi' });
  server = http.createServer((req, res) => void router.handle(req, res));
  await new Promise<void>((r) => server.listen(socket, r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('router', () => {
  it("serves Docker's modules with and without a version prefix, its own modules only without", async () => {
    expect((await ask('GET', '/things/a%20b')).json).toEqual({ id: 'a b', version: null, greeting: 'hi' });
    expect((await ask('GET', '/v1.24/things/x')).json).toMatchObject({ id: 'x', version: '1.24' });
    expect((await ask('GET', '/own/v1/hello')).json).toEqual({ hello: 'hi' });
    expect(await ask('GET', '/v1.41/own/v1/hello')).toMatchObject({ status: 404, json: { message: 'page not found' } });
  });

  it('refuses API versions dockerd 20.10 refuses', async () => {
    expect(await ask('GET', '/v1.42/things/x')).toMatchObject({ status: 400, json: { message: 'client version 1.42 is too new. Maximum supported API version is 1.41' } });
    expect((await ask('GET', '/v1.11/things/x')).json.message).toMatch(/^client version 1\.11 is too old/);
  });

  it('answers unknown paths with 404 and known paths with the wrong method with 405 and Allow', async () => {
    expect(await ask('GET', '/nowhere')).toMatchObject({ status: 404, json: { message: 'page not found', netplumb: { class: 'RequestError', status: 404 } } });
    const wrong = await ask('PUT', '/things/x');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, DELETE');
  });

  it('checks bodies and lets a module word its errors', async () => {
    expect(await ask('POST', '/things/create', '{"Name":"n"}')).toMatchObject({ status: 201, json: { Name: 'n' } });
    expect(await ask('POST', '/things/create', '{"Name":1}')).toMatchObject({ status: 400, json: { message: 'Name: must be a string, not a number' } });
    expect(await ask('POST', '/things/create', 'Name=n', 'application/x-www-form-urlencoded')).toMatchObject({ status: 400 });
    expect(await ask('DELETE', '/things/t1')).toMatchObject({ status: 404, json: { message: 'thing t1 not found', netplumb: { class: 'NoSuchObjectError', kind: 'network', ref: 't1' } } });
  });
});
