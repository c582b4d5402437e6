// TCP only when asked, and then only with TLS client certificates, as
// dockerd requires for remote access: without the TLS flags netplumbd does
// not start; with them, a client with a certificate from the CA gets in
// (Engine.connect over tcp://), one without, or with another CA's, does not.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import tls from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/index.js';
import { assertSandbox } from '../support/witness.js';
import { DAEMON, ensureBuilt, TestDaemon } from './support/daemon.js';

const PORT = 23760;
let dir: string;
let daemon: TestDaemon;

const file = (name: string): Buffer => readFileSync(join(dir, name));

beforeAll(async () => {
  assertSandbox();
  ensureBuilt();
  dir = mkdtempSync('/run/npd-tls-');
  // Two CAs; the server's certificate for 127.0.0.1; a client's from the CA, a stranger's from the other.
  execFileSync('sh', ['-c', `
    set -e
    for ca in ca otherca; do openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=$ca -keyout $ca-key.pem -out $ca.pem 2>/dev/null; done
    openssl req -newkey rsa:2048 -nodes -subj /CN=netplumbd -keyout server-key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 -out server.pem -extfile server.ext 2>/dev/null
    for c in client:ca stranger:otherca; do
      n=\${c%%:*}; a=\${c##*:}
      openssl req -newkey rsa:2048 -nodes -subj /CN=$n -keyout $n-key.pem -out $n.csr 2>/dev/null
      printf 'extendedKeyUsage=clientAuth\\n' > $n.ext
      openssl x509 -req -in $n.csr -CA $a.pem -CAkey $a-key.pem -CAcreateserial -days 1 -out $n.pem -extfile $n.ext 2>/dev/null
    done`], { cwd: dir });
  // The sandbox's own namespace (127.0.0.1 is where the test is); no default network, so no firewall is made here.
  daemon = new TestDaemon({
    args: ['--bridge', 'none', '-H', `tcp://127.0.0.1:${PORT}`, '--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server-key.pem')],
  });
  await daemon.start();
}, 180_000);

afterAll(async () => {
  await daemon?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Whether a TLS client with these credentials gets an HTTP answer to GET /_ping. */
function ping(o: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port: PORT, ca: file('ca.pem'), ...o }, () => s.write('GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let got = '';
    s.on('data', (d: Buffer) => (got += d));
    s.on('error', (e) => resolve(`error: ${e.message}`));
    s.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
  });
}

describe('tcp:// with TLS client certificates', () => {
  it('refuses to listen on TCP without --tlsverify and its files', () => {
    const r = spawnSync(process.execPath, [DAEMON, '--state-dir', join(dir, 'plain'), '-H', 'tcp://127.0.0.1:23761'], { encoding: 'utf8', env: daemon.env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^netplumbd: a tcp:\/\/ listener needs --tlsverify, --tlscacert, --tlscert and --tlskey/);
  });

  it('lets in a client whose certificate the CA signed, through Engine.connect', async () => {
    const engine = await Engine.connect({ socket: `tcp://127.0.0.1:${PORT}`, tls: { ca: file('ca.pem'), cert: file('client.pem'), key: file('client-key.pem') } });
    expect(engine.daemon.name).toBe('netplumbd');
    expect(await engine.networks.list()).toEqual([]);
    await engine.close();
    expect(await ping({ cert: file('client.pem'), key: file('client-key.pem') })).toBe('HTTP/1.1 200 OK');
  });

  it('refuses a client without a certificate, and one signed by another CA', async () => {
    expect(await ping({})).not.toMatch(/^HTTP/);
    expect(await ping({ cert: file('stranger.pem'), key: file('stranger-key.pem') })).not.toMatch(/^HTTP/);
    const plain = await Engine.connect({ socket: `tcp://127.0.0.1:${PORT}` }).catch((e: unknown) => e);
    expect(plain).toMatchObject({ name: 'DaemonConnectionError', code: 'EPROTO' });
  });
});
