// The netplumb CLI with a daemon: it goes through the daemon that owns its
// state (or the one --host / NETPLUMB_HOST names), loading nothing but an
// HTTP client, with the same output and exit codes as in-process; without a
// daemon it works in-process as before. `netplumb daemon` runs the daemon.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns } from '../../../src/index.js';
import { CLI, type DaemonInNamespace, daemonInNamespace, request, ROOT, TestDaemon } from './support/daemon.js';

const HOST = 'npd-cli-host';
let setup: DaemonInNamespace;
let daemon: TestDaemon;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'npd-cli-'));
  setup = await daemonInNamespace(HOST);
  daemon = setup.daemon;
}, 180_000);

afterAll(async () => {
  await setup?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Requests the daemon logged so far, as "METHOD URL". */
function served(): string[] {
  return daemon.logs().filter((l) => l.msg === 'request').map((l) => `${(l.req as { method: string }).method} ${(l.req as { url: string }).url}`);
}

describe('netplumb through the daemon', () => {
  it('goes through the daemon that owns the state, with the in-process output and exit codes', async () => {
    const before = served().length;
    expect(await daemon.cli(['network', 'create', '--subnet', '10.73.0.0/24', 'clinet'])).toMatchObject({ code: 0, stderr: '' });
    const made = await daemon.cli(['create', '--name', 'c1', '--network', 'clinet', '-p', '8080:80']);
    expect(made).toMatchObject({ code: 0, stderr: '' });
    expect(made.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await daemon.cli(['port', 'c1'])).stdout).toBe('80/tcp -> 0.0.0.0:8080\n');
    expect((await daemon.cli(['ps'])).stdout).toMatch(/c1\s+bridge\s+clinet=10\.73\.0\.2\s+80\/tcp -> 0\.0\.0\.0:8080/);
    expect(served().slice(before)).toEqual(expect.arrayContaining(['POST /netplumb/v1/networks', 'POST /netplumb/v1/sandboxes', 'GET /netplumb/v1/sandboxes/c1/ports', 'GET /netplumb/v1/sandboxes']));

    expect(await daemon.cli(['rm', 'ghost'])).toMatchObject({ code: 3, stderr: "netplumb: sandbox 'ghost' not found\n  list sandboxes with `netplumb ps`\n" });
    expect((await daemon.cli(['network', 'create', '--subnet', 'foo', 'bad'])).code).toBe(2);
    expect((await daemon.cli(['create', '--name', 'c1', '--network', 'clinet'])).code).toBe(4);
    expect(await daemon.cli(['rm', 'c1'])).toMatchObject({ code: 0, stdout: 'c1\n' });
  });

  it('runs a command in a sandbox through the daemon, which serves its DNS', async () => {
    const r = await daemon.cli(['run', '--rm', '--name', 'runner', '--network', 'clinet', '--', 'sh', '-c', 'ip -4 -o addr show dev eth0; getent hosts runner']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/inet 10\.73\.0\.\d+\/24/);
    expect(r.stdout).toMatch(/^10\.73\.0\.\d+\s+runner$/m);
    expect((await daemon.cli(['ps', '-q'])).stdout).toBe('');
  });

  it('goes where --host or NETPLUMB_HOST says, whatever the state directory', async () => {
    const elsewhere = { NETPLUMB_STATE_DIR: join(scratch, 'other-state') };
    const viaFlag = await daemon.cli(['-H', `unix://${daemon.socket}`, 'network', 'ls', '--json'], elsewhere);
    expect((JSON.parse(viaFlag.stdout) as { Name: string }[]).map((n) => n.Name)).toContain('clinet');
    const viaEnv = await daemon.cli(['network', 'ls', '--json'], { ...elsewhere, NETPLUMB_HOST: `unix://${daemon.socket}` });
    expect((JSON.parse(viaEnv.stdout) as { Name: string }[]).map((n) => n.Name)).toContain('clinet');
    const nobody = await daemon.cli(['network', 'ls'], { ...elsewhere, NETPLUMB_HOST: `unix://${scratch}/nobody.sock` });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/^netplumb: cannot reach netplumbd at unix:\/\/.*nobody\.sock/);
  });

  it('loads only an HTTP client: no model, addon, DNS or daemon module', async () => {
    // The bin is one CommonJS bundle split in chunks per command (scripts/bundle-cli.mjs), so what a command
    // loads is read at its exit: the files in require's cache, the builtins and whether the addon is mapped.
    const probe = join(scratch, 'probe.cjs');
    const log = join(scratch, 'loaded.json');
    writeFileSync(
      probe,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(log)}, JSON.stringify({ files: Object.keys(require.cache), builtins: process.moduleLoadList, maps: require('node:fs').readFileSync('/proc/self/maps', 'utf8') })));\n`,
    );
    const r = await new Promise<number | null>((res) => {
      const child = spawn(process.execPath, ['-r', probe, CLI, 'create', '--name', 'light', '--network', 'clinet'], { env: daemon.env, stdio: 'ignore' });
      child.on('exit', res);
    });
    expect(r).toBe(0);
    const loaded = JSON.parse(readFileSync(log, 'utf8')) as { files: string[]; builtins: string[]; maps: string };
    const ours = loaded.files.filter((f) => f !== probe);
    expect(ours).toContain(CLI);
    // Nothing but the bundle's own chunks: no ES module of dist/, no npm dependency (pino, prom-client).
    expect(ours.filter((f) => !f.startsWith(`${ROOT}/dist/cli/`))).toEqual([]);
    // 13 files for `create` when this was written: the entry, the runtime, and the chunks of create and the client.
    expect(ours.length, ours.join(' ')).toBeLessThanOrEqual(15);
    expect(loaded.maps).not.toMatch(/netplumb\.node/);
    // DNS (dgram), the daemon's server (http) and readline stay unloaded.
    expect(loaded.builtins.filter((m) => /^NativeModule (dgram|_http_server|readline)$/.test(m))).toEqual([]);
    expect((await daemon.cli(['rm', 'light'])).code).toBe(0);
  });
});

describe('netplumb without a daemon', () => {
  it('works in-process once the daemon has stopped, on the same state', async () => {
    expect(await daemon.cli(['network', 'rm', 'clinet'])).toMatchObject({ code: 0 });
    await daemon.stop();
    const before = served().length;
    const r = await daemon.cli(['network', 'ls', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { Name: string }[]).map((n) => n.Name)).toEqual(['bridge']);
    // The model's errors are the bundle's classes too: the same exit code as through the daemon.
    expect(await daemon.cli(['rm', 'ghost'])).toMatchObject({ code: 3, stderr: "netplumb: sandbox 'ghost' not found\n  list sandboxes with `netplumb ps`\n" });
    expect(served().length).toBe(before);
    await daemon.start();
  });
});

describe('netplumb daemon', () => {
  it('runs netplumbd in the foreground with the global -H and --state-dir, and stops on SIGTERM', async () => {
    const state = join(scratch, 'fg-state');
    const socket = join(scratch, 'fg.sock');
    // A namespace of its own: the test's daemon owns the firewall of HOST, and one daemon per namespace does.
    const own = await Netns.create({ name: 'npd-cli-fg' });
    const pidfile = join(scratch, 'fg.pid');
    // Used in-process first: its firewall table has neither owner nor persist; the daemon takes it over.
    const before = spawnSync('nsenter', ['--net=/run/netns/npd-cli-fg', '--', process.execPath, CLI, '--state-dir', state, 'network', 'create', '--subnet', '10.75.0.0/24', 'early'], {
      env: { ...process.env, NETPLUMB_ETC_DIR: join(state, 'etc') },
      encoding: 'utf8',
    });
    expect(before.stderr).toBe('');
    const child = spawn('nsenter', ['--net=/run/netns/npd-cli-fg', '--', process.execPath, CLI, '--state-dir', state, '-H', `unix://${socket}`, 'daemon', '--bridge', 'none', '--log-level', 'warn', '--pidfile', pidfile], {
      env: { ...process.env, NETPLUMB_ETC_DIR: join(state, 'etc') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    try {
      await expect.poll(async () => (await request(socket, 'GET', '/_ping').catch(() => ({ status: 0 }))).status, { timeout: 30_000, interval: 100 }).toBe(200);
      // Only root (and group netplumb, which this machine has not got) may use the socket, and the CNI shim's beside it.
      expect(statSync(socket).mode & 0o777).toBe(0o660);
      expect(statSync(`${socket}.cni`).isSocket()).toBe(true);
      expect(statSync(`${socket}.cni`).mode & 0o777).toBe(0o660);
      expect(readFileSync(pidfile, 'utf8')).toBe(`${child.pid}\n`);
      const info = await request(socket, 'GET', '/netplumb/v1/info');
      expect(info.json).toMatchObject({ name: 'netplumbd', pid: child.pid, stateDirs: { runtime: join(state, 'run') } });
      expect((await request(socket, 'GET', '/networks')).json.map((n: { Name: string }) => n.Name).sort()).toEqual(['early', 'host', 'none']);
      expect(execFileSync('ip', ['netns', 'exec', 'npd-cli-fg', 'nft', 'list', 'table', 'inet', 'netplumb'], { encoding: 'utf8' })).toMatch(/flags owner/);
    } finally {
      // Stopped whatever happened above; the namespace goes with the test's sandbox if not here.
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(existsSync(pidfile)).toBe(false);
    expect(existsSync(`${socket}.cni`)).toBe(false);
    await own.delete();
  });
});
