// A daemon must outlive its clients' mistakes: malformed HTTP, garbage JSON,
// wrong types, unknown fields and huge bodies get a 4xx JSON answer and the
// same process keeps serving; 50 clients at once lose and duplicate no
// endpoint (the kernel is the witness); SIGTERM answers what is in flight
// and leaves the networks in place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type RemoteEngine } from '../../../src/index.js';
import { ip, ipJson } from '../support/witness.js';
import { type DaemonInNamespace, daemonInNamespace, raw, request, TestDaemon } from './support/daemon.js';
import { emptyReport } from '../../../src/model/reconcile/report.js';

const HOST = 'npd-rb-host';
let setup: DaemonInNamespace;
let daemon: TestDaemon;

beforeAll(async () => {
  setup = await daemonInNamespace(HOST);
  daemon = setup.daemon;
}, 180_000);

afterAll(async () => {
  await setup?.cleanup();
});

async function stillServing(): Promise<void> {
  const pid = daemon.child?.pid;
  expect((await request(daemon.socket, 'GET', '/_ping')).status).toBe(200);
  expect((await request(daemon.socket, 'GET', '/netplumb/v1/info')).json.pid).toBe(pid);
}

describe('bad requests', () => {
  it('answers malformed HTTP with a JSON 4xx and stays up', async () => {
    const garbage = await raw(daemon.socket, 'THIS IS NOT HTTP\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(garbage).toMatch(/Content-Type: application\/json/);
    expect(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))).toMatchObject({ message: expect.stringMatching(/^malformed HTTP request/) });
    const headers = await raw(daemon.socket, `GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expect(headers).toMatch(/^HTTP\/1\.1 431 /);
    const badLength = await raw(daemon.socket, 'POST /netplumb/v1/sandboxes HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n');
    expect(badLength).toMatch(/^HTTP\/1\.1 400 /);
    await stillServing();
  });

  it('refuses garbage JSON, wrong types, unknown fields, a wrong content type and huge bodies, naming what was wrong', async () => {
    const cases: [string, string, unknown, Record<string, string>, number, RegExp][] = [
      ['POST', '/netplumb/v1/sandboxes', '{"name": "x",', { 'Content-Type': 'application/json' }, 400, /invalid JSON/],
      ['POST', '/netplumb/v1/sandboxes', { name: 5 }, {}, 400, /^name: must be a string, not a number$/],
      ['POST', '/netplumb/v1/sandboxes', { name: 'x', publish: [{ protocol: 'tcp' }] }, {}, 400, /^publish\[0\]: must be a -p string or a port binding object$/],
      ['POST', '/netplumb/v1/sandboxes', { name: 'x', colour: 'red' }, {}, 400, /^colour: unknown field$/],
      ['POST', '/netplumb/v1/networks', {}, {}, 400, /^name: is required$/],
      ['POST', '/netplumb/v1/networks', [1, 2], {}, 400, /must be an object, not an array/],
      ['POST', '/networks/create', { Name: 'n', IPAM: { Config: [{ Subnet: 7 }] } }, {}, 400, /^IPAM\.Config\[0\]\.Subnet: must be a string/],
      ['POST', '/networks/create', 'Name=n', { 'Content-Type': 'text/plain' }, 400, /unsupported Content-Type header \(text\/plain\)/],
      ['POST', '/networks/create', '', { 'Content-Type': 'application/json' }, 400, /needs a JSON body/],
      ['POST', '/netplumb/v1/sandboxes', { name: 'x', hostname: 'a'.repeat(2 << 20) }, {}, 413, /larger than the 1048576 bytes allowed/],
      ['GET', '/no/such/path', undefined, {}, 404, /^page not found$/],
      ['DELETE', '/_ping', undefined, {}, 405, /DELETE is not allowed on \/_ping/],
      ['GET', '/v1.42/networks', undefined, {}, 400, /client version 1\.42 is too new/],
      ['GET', '/v1.11/networks', undefined, {}, 400, /client version 1\.11 is too old/],
      ['GET', '/networks?filters=%7Bnope', undefined, {}, 400, /invalid filter/],
      ['GET', '/netplumb/v1/networks/%E0%A4%A', undefined, {}, 400, /not validly percent-encoded/],
    ];
    for (const [method, path, body, headers, status, message] of cases) {
      const a = await request(daemon.socket, method, path, body, headers);
      expect({ path, status: a.status, type: a.headers['content-type'] }).toEqual({ path, status, type: 'application/json' });
      expect(a.json.message, `${method} ${path}`).toMatch(message);
      expect(a.json.netplumb.class).toBe('RequestError');
    }
    expect((await request(daemon.socket, 'GET', '/netplumb/v1/sandboxes')).json).toEqual([]);
    await stillServing();
  });
});

describe('many clients at once', () => {
  it('serves 50 concurrent clients without losing or duplicating an endpoint', async () => {
    const setup = await Engine.connect({ socket: daemon.socket });
    await setup.networks.create({ name: 'busy', subnet: '10.68.0.0/24', bridge: 'busy-br' });
    const clients: RemoteEngine[] = await Promise.all(Array.from({ length: 50 }, () => Engine.connect({ socket: daemon.socket })));
    const made = await Promise.all(clients.map((c, i) => c.sandboxes.create({ name: `c${i}`, network: 'busy', publish: [`${20000 + i}:80`] })));
    const addresses = made.map((s) => s.networks[0]?.ipv4);
    expect(new Set(addresses).size).toBe(50);
    expect(new Set(made.map((s) => s.id)).size).toBe(50);
    expect((await setup.sandboxes.list()).length).toBe(50);
    // The kernel: 50 host ends on the bridge, 50 namespaces with their own address each.
    expect(ipJson<unknown[]>(HOST, 'link', 'show', 'master', 'busy-br').length).toBe(50);
    for (const s of made) {
      const [eth0] = ipJson<{ addr_info: { local: string }[] }[]>(s.netnsName, 'addr', 'show', 'dev', 'eth0');
      expect(eth0?.addr_info.map((a) => a.local)).toEqual([s.networks[0]?.ipv4]);
    }
    await Promise.all(clients.map((c, i) => c.sandboxes.remove(`c${i}`)));
    expect(await setup.sandboxes.list()).toEqual([]);
    expect(ip(undefined, 'netns', 'list')).not.toMatch(/^np-/m);
    // The host ends go with their namespaces, in the kernel's background work.
    await expect.poll(() => ipJson<unknown[]>(HOST, 'link', 'show', 'master', 'busy-br').length, { timeout: 10_000 }).toBe(0);
    await setup.networks.remove('busy');
    await Promise.all([setup, ...clients].map((c) => c.close()));
  });
});

describe('SIGTERM', () => {
  it('answers the request in flight, exits 0 and leaves networks and sandboxes; a new daemon finds them whole', async () => {
    const engine = await Engine.connect({ socket: daemon.socket });
    await engine.networks.create({ name: 'stays', subnet: '10.69.0.0/24', bridge: 'stays-br' });
    await engine.sandboxes.create({ name: 'kept', network: 'stays' });
    const slow = engine.sandboxes.exec('kept', ['sh', '-c', 'sleep 1; echo done']);
    await new Promise((r) => setTimeout(r, 300));
    const exit = daemon.stop();
    expect(await slow).toMatchObject({ code: 0, stdout: 'done\n' });
    expect(await exit).toEqual({ code: 0, signal: null });
    await engine.close();
    expect(daemon.logs().map((l) => l.msg)).toEqual(expect.arrayContaining(['stopping: answering the requests in flight', 'stopped; networks and sandboxes stay as they are']));
    expect(ip(HOST, 'link', 'show', 'stays-br')).toMatch(/stays-br/);

    await daemon.start();
    const again = await Engine.connect({ socket: daemon.socket });
    expect(again.daemon.startupReconcile).toEqual(emptyReport());
    expect((await again.sandboxes.inspect('kept')).networks[0]?.ipv4).toBe('10.69.0.2');
    await again.sandboxes.remove('kept');
    await again.networks.remove('stays');
    await again.close();
  });
});
