// Started as contrib/systemd starts it: systemd makes the socket
// (netplumbd.socket) and passes it, the daemon listens on it with -H fd://
// (systemd-socket-activate does what systemd does), names it in its claim
// so the CLI finds it, and answers the docker CLI on it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SOCKET } from '../../../src/client/address.js';
import { Netns } from '../../../src/index.js';
import { assertSandbox } from '../support/witness.js';
import { DAEMON, ensureBuilt, request, ROOT, TestDaemon } from './support/daemon.js';

const HOST = 'npd-sd-host';
const ACTIVATE = '/usr/bin/systemd-socket-activate';
let host: Netns;
let daemon: TestDaemon;

beforeAll(async () => {
  assertSandbox();
  if (!existsSync(ACTIVATE)) throw new Error(`${ACTIVATE} is missing: it comes with Debian's systemd package`);
  ensureBuilt();
  await Netns.remove(HOST, { ifExists: true });
  host = await Netns.create({ name: HOST });
  daemon = new TestDaemon({ netns: HOST });
}, 180_000);

afterAll(async () => {
  await daemon?.cleanup();
  await host?.delete();
});

describe('systemd socket activation', () => {
  it("the units in contrib/ agree with the daemon's defaults", () => {
    const socketUnit = readFileSync(join(ROOT, 'contrib/systemd/netplumbd.socket'), 'utf8');
    const serviceUnit = readFileSync(join(ROOT, 'contrib/systemd/netplumbd.service'), 'utf8');
    expect(socketUnit).toMatch(new RegExp(`^ListenStream=${DEFAULT_SOCKET}$`, 'm'));
    expect(socketUnit).toMatch(/^SocketMode=0660$/m);
    expect(serviceUnit).toMatch(/^ExecStart=\S+netplumbd -H fd:\/\/( |$)/m);
    expect(serviceUnit).toMatch(/^Requires=netplumbd\.socket$/m);
  });

  it('listens on the socket systemd passed (-H fd://), names it in its claim, and the CLI and docker use it', async () => {
    // As systemd would: the socket exists (mode 0660) before the daemon runs.
    const child = spawn('nsenter', [`--net=/run/netns/${HOST}`, '--', ACTIVATE, '-l', daemon.socket, process.execPath, DAEMON, '-H', 'fd://', '--state-dir', daemon.stateDir, '--dns', '127.0.0.1'], {
      env: daemon.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    try {
      await expect.poll(async () => (await request(daemon.socket, 'GET', '/_ping').catch(() => ({ status: 0 }))).status, { timeout: 30_000, interval: 100 }).toBe(200);
      const info = await request(daemon.socket, 'GET', '/netplumb/v1/info');
      expect(info.json).toMatchObject({ pid: child.pid, sockets: [`unix://${daemon.socket}`] });
      expect(JSON.parse(readFileSync(join(daemon.stateDir, 'run', 'netplumbd.json'), 'utf8'))).toMatchObject({ pid: child.pid, sockets: [`unix://${daemon.socket}`] });
      expect((await daemon.cli(['network', 'create', '--subnet', '10.74.0.0/24', 'sdnet'])).code).toBe(0);
      const listed = execFileSync('/usr/bin/docker', ['network', 'ls', '--format', '{{.Name}}'], { env: { ...process.env, DOCKER_HOST: `unix://${daemon.socket}`, DOCKER_CONFIG: join(daemon.dir, 'docker') }, encoding: 'utf8' });
      expect(listed.trim().split('\n').sort()).toEqual(['bridge', 'host', 'none', 'sdnet']);
      expect((await daemon.cli(['network', 'rm', 'sdnet'])).code).toBe(0);
    } finally {
      // Stopped here whatever happened above: the TestDaemon did not start it.
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    // systemd owns the socket file: the daemon leaves it.
    expect(statSync(daemon.socket).isSocket()).toBe(true);
  });
});
