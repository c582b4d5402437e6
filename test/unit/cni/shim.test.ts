// The native shim (build/Release/netplumb-cni) as a runtime execs it, against
// a daemon played here: what it sends (the CNI_* environment and stdin, as
// JSON, on the daemon's CNI socket <socket>.cni or to POST /netplumb/v1/cni),
// how it reads the answer (Content-Length or chunked, escapes, keys it does
// not know), what it prints when the daemon answers wrong, and its fallbacks:
// HTTP when the CNI socket does not answer, Node on the in-process entry with
// stdin passed on when no daemon listens at all. No privileges: nothing here
// touches the network. (test/kernel/cni/add.test.ts checks that netplumbd's
// own CNI socket is the one a pod's requests take.)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SHIM = resolve(import.meta.dirname, '../../../build/Release/netplumb-cni');
let dir: string;

beforeAll(() => {
  if (!existsSync(SHIM)) throw new Error(`${SHIM} is missing: run npm run build:native`);
  dir = mkdtempSync(join(tmpdir(), 'np-shim-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function daemon(name: string, handler: Handler): Promise<{ socket: string; server: Server }> {
  const socket = join(dir, `${name}.sock`);
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return { socket, server };
}

/** Runs the shim with the given environment on top of a clean one; the runtime's exec, asynchronously so the daemon here can answer. */
function shim(env: Record<string, string>, stdin: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(SHIM, [], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (status) => resolveRun({ status, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

const awkward = 'quote " backslash \\ newline \n tab \t nul-free control \u0001 unicode é → 🎉';

describe('the shim on the daemon path', () => {
  it('sends the CNI_* variables and stdin exactly, and prints the answer byte for byte with its exit code', async () => {
    let seen: { method?: string; url?: string; type?: string; body?: unknown } = {};
    const answer = `{"cniVersion":"1.1.0","note":"${awkward.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\u0001/g, '\\u0001')}"}\n`;
    const { socket, server } = await daemon('ok', (req, body, res) => {
      seen = { method: req.method, url: req.url, type: req.headers['content-type'], body: JSON.parse(body) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ exitCode: 7, extra: { nested: [1, { a: 'b' }], n: null }, stdout: answer }));
    });
    try {
      const r = await shim({ NETPLUMB_HOST: `unix://${socket}`, CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_ARGS: 'A=1;B=2', OTHER: 'not sent' }, awkward);
      expect(r).toMatchObject({ status: 7, stdout: answer, stderr: '' });
      expect(seen).toEqual({
        method: 'POST', url: '/netplumb/v1/cni', type: 'application/json',
        body: { env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_ARGS: 'A=1;B=2' }, stdin: awkward },
      });
    } finally {
      server.close();
    }
  });

  it('reads a chunked answer and \\u escapes with surrogate pairs', async () => {
    const { socket, server } = await daemon('chunked', (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"stdout":"\\u00e9\\u2192\\ud83c\\udf89 ');
      res.write('done\\n","exitCode":0}');
      res.end();
    });
    try {
      expect(await shim({ NETPLUMB_HOST: `unix://${socket}`, CNI_COMMAND: 'VERSION' }, '')).toMatchObject({ status: 0, stdout: 'é→🎉 done\n' });
    } finally {
      server.close();
    }
  });

  it('prints a CNI error (code 5) when the daemon answers something else, and when NETPLUMB_HOST is not a unix socket', async () => {
    const { socket, server } = await daemon('wrong', (_req, _body, res) => {
      res.writeHead(404).end('{"message":"page not found"}');
    });
    try {
      const r = await shim({ NETPLUMB_HOST: `unix://${socket}`, CNI_COMMAND: 'ADD' }, '{}');
      expect(r.status).toBe(1);
      const err = JSON.parse(r.stdout);
      expect(err).toMatchObject({ code: 5, msg: 'netplumbd gave no CNI answer' });
      expect(err.details).toContain('404');
      const tcp = await shim({ NETPLUMB_HOST: 'tcp://127.0.0.1:2375', CNI_COMMAND: 'ADD' }, '{}');
      expect(JSON.parse(tcp.stdout)).toMatchObject({ code: 5, msg: 'invalid NETPLUMB_HOST' });
    } finally {
      server.close();
    }
  });
});

/** A daemon's CNI socket played here: it reads the request to the shim's EOF, then does what `answer` says. */
async function cniSocket(socket: string, answer: (request: string, conn: Socket) => void): Promise<NetServer> {
  const server = createNetServer((conn) => {
    let request = '';
    conn.setEncoding('utf8').on('data', (d: string) => (request += d)).on('end', () => answer(request, conn));
  });
  await new Promise<void>((r) => server.listen(`${socket}.cni`, r));
  return server;
}

describe("the shim on the daemon's CNI socket", () => {
  it('sends the request on <socket>.cni, shuts its side, and prints the answer with its exit code; HTTP is not asked', async () => {
    let http = 0;
    const { socket, server } = await daemon('oneshot', (_req, _body, res) => {
      http++;
      res.writeHead(500).end();
    });
    let seen: unknown;
    const cni = await cniSocket(socket, (request, conn) => {
      seen = JSON.parse(request);
      conn.end(JSON.stringify({ exitCode: 2, stdout: '{"cniVersion":"1.1.0","code":7,"msg":"é"}\n' }));
    });
    try {
      const r = await shim({ NETPLUMB_HOST: `unix://${socket}`, CNI_COMMAND: 'CHECK', CNI_IFNAME: 'eth0', OTHER: 'not sent' }, awkward);
      expect(r).toMatchObject({ status: 2, stdout: '{"cniVersion":"1.1.0","code":7,"msg":"é"}\n', stderr: '' });
      expect(seen).toEqual({ env: { CNI_COMMAND: 'CHECK', CNI_IFNAME: 'eth0' }, stdin: awkward });
      expect(http).toBe(0);
    } finally {
      cni.close();
      server.close();
    }
  });

  it('takes HTTP when nobody listens on the CNI socket, and says so (code 5) when the CNI socket closes without an answer', async () => {
    const { socket, server } = await daemon('fallback', (_req, body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ exitCode: 0, stdout: `http ${JSON.parse(body).env.CNI_COMMAND}` }));
    });
    try {
      // A file where the CNI socket would be, with no listener behind it (as a daemon that died leaves it): connect() is refused.
      writeFileSync(`${socket}.cni`, '');
      expect(await shim({ NETPLUMB_HOST: `unix://${socket}`, CNI_COMMAND: 'DEL' }, '{}')).toMatchObject({ status: 0, stdout: 'http DEL' });
      rmSync(`${socket}.cni`);
      const cni = await cniSocket(socket, (_request, conn) => conn.destroy());
      try {
        const r = await shim({ NETPLUMB_HOST: `unix://${socket}`, CNI_COMMAND: 'ADD' }, '{}');
        expect(r.status).toBe(1);
        expect(JSON.parse(r.stdout)).toMatchObject({ code: 5, msg: 'netplumbd did not answer', details: `netplumbd at ${socket}.cni closed the connection without an answer` });
      } finally {
        cni.close();
      }
    } finally {
      server.close();
    }
  });
});

describe('the shim with no daemon', () => {
  const entry = (): string => {
    const p = join(dir, 'entry.mjs');
    // Stands in for dist/cli/cni-plugin.cjs: echoes what it was given.
    writeFileSync(p, `let s='';process.stdin.setEncoding('utf8');for await (const c of process.stdin) s+=c;
process.stdout.write(JSON.stringify({stdin:s,command:process.env.CNI_COMMAND,other:process.env.OTHER}));process.exit(3);`);
    return p;
  };

  it('execs Node on the in-process entry with the same stdin and environment, when the socket is missing or nobody listens', async () => {
    const refused = join(dir, 'stale.sock');
    const stale = createNetServer();
    await new Promise<void>((r) => stale.listen(refused, r));
    // A socket file with no listener behind it: connect() is refused.
    await new Promise<void>((r) => stale.close(() => r()));
    writeFileSync(refused, '');
    for (const host of [`unix://${join(dir, 'missing.sock')}`, `unix://${refused}`]) {
      const r = await shim({ NETPLUMB_HOST: host, NETPLUMB_NODE: process.execPath, NETPLUMB_CNI_ENTRY: entry(), CNI_COMMAND: 'DEL', OTHER: 'kept' }, awkward);
      expect(r.status, r.stdout + r.stderr).toBe(3);
      expect(JSON.parse(r.stdout)).toEqual({ stdin: awkward, command: 'DEL', other: 'kept' });
    }
  });

  it('says so (code 5) when the in-process entry is not there', async () => {
    const r = await shim({ NETPLUMB_HOST: `unix://${join(dir, 'missing.sock')}`, NETPLUMB_CNI_ENTRY: join(dir, 'nope.js'), CNI_COMMAND: 'ADD' }, '{}');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 5, msg: 'netplumb is not available' });
  });
});
