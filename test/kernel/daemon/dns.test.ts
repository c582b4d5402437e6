// DNS outlives the processes that asked for sandboxes: two sandboxes made by
// two separate `netplumb create` commands (through the daemon) resolve each
// other by name once both commands have exited, with the system resolver
// inside each sandbox (getent, reading the sandbox's resolv.conf), and bytes
// go to the address the name gave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type RemoteEngine } from '../../../src/index.js';
import { addressFromData, RRType } from '../../../src/dns/wire.js';
import { askUdp } from '../../support/dns.js';
import { exchange, serve } from '../model/support/traffic.js';
import { type DaemonInNamespace, daemonInNamespace, TestDaemon } from './support/daemon.js';

const HOST = 'npd-dns-host';
let setup: DaemonInNamespace;
let daemon: TestDaemon;
let engine: RemoteEngine;

beforeAll(async () => {
  setup = await daemonInNamespace(HOST);
  daemon = setup.daemon;
  engine = await Engine.connect({ socket: daemon.socket });
}, 180_000);

afterAll(async () => {
  await engine?.close();
  await setup?.cleanup();
});

describe('network DNS served by the daemon', () => {
  it('resolves sandboxes made by two separate CLI commands, after both have exited', async () => {
    expect((await daemon.cli(['network', 'create', '--subnet', '10.72.0.0/24', 'dnsnet'])).code).toBe(0);
    const a = await daemon.cli(['create', '--name', 'alpha', '--network', 'dnsnet', '--alias', 'first']);
    const b = await daemon.cli(['create', '--name', 'beta', '--network', 'dnsnet']);
    expect([a.code, a.stderr, b.code, b.stderr]).toEqual([0, '', 0, '']);

    // The system resolver inside each sandbox, through its resolv.conf (the gateway, where the daemon answers).
    const fromAlpha = await engine.sandboxes.exec('alpha', ['getent', 'hosts', 'beta']);
    expect(fromAlpha).toMatchObject({ code: 0, stdout: expect.stringMatching(/^10\.72\.0\.3\s+beta\n$/) });
    const fromBeta = await engine.sandboxes.exec('beta', ['getent', 'hosts', 'first']);
    expect(fromBeta).toMatchObject({ code: 0, stdout: expect.stringMatching(/^10\.72\.0\.2\s+first\n$/) });
    expect((await engine.sandboxes.exec('alpha', ['cat', '/etc/resolv.conf'])).stdout).toMatch(/^nameserver 10\.72\.0\.1$/m);

    // The same answer on the wire, asked from alpha's namespace, and bytes to the address it gave.
    const alphaNs = await engine.sandboxes.netns('alpha');
    const betaNs = await engine.sandboxes.netns('beta');
    const sock = await alphaNs.bindUdp({ address: '0.0.0.0', port: 0 });
    const server = await serve(betaNs, 9000, 'beta');
    try {
      const answer = await askUdp(sock, '10.72.0.1', 53, 7, 'beta', RRType.A);
      const addresses = answer.answers.map((r) => addressFromData(r.data));
      expect(addresses).toEqual(['10.72.0.3']);
      expect(await exchange(alphaNs, addresses[0] as string, 9000, 'by name')).toBe('beta saw 10.72.0.2: by name');
    } finally {
      server.close();
      sock.close();
      alphaNs.close();
      betaNs.close();
    }

    // Removed through the daemon: the name goes with the sandbox.
    expect((await daemon.cli(['rm', 'beta'])).code).toBe(0);
    expect((await engine.sandboxes.exec('alpha', ['getent', 'hosts', 'beta'])).code).toBe(2);
    expect((await daemon.cli(['rm', 'alpha'])).code).toBe(0);
    expect((await daemon.cli(['network', 'rm', 'dnsnet'])).code).toBe(0);
  });
});
