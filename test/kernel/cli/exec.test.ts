// `netplumb exec` as a user runs it: the built CLI in a child process, CMD
// inside an existing sandbox with its hosts and resolv.conf, docker exec's
// options up to SANDBOX and CMD's own after it, stdin only with -i, and the
// exit status passed through.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertSandbox, ipJson } from '../support/witness.js';
import { CLI, ensureBuilt } from '../daemon/support/daemon.js';

let stateDir: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], input?: string): Promise<Result> {
  const child = spawn(process.execPath, [CLI, '--state-dir', stateDir, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  child.stdin.end(input);
  return new Promise((r) => child.on('close', (code) => r({ code, stdout, stderr })));
}

beforeAll(async () => {
  assertSandbox();
  ensureBuilt();
  stateDir = mkdtempSync(join(tmpdir(), 'netplumb-exec-'));
  for (const args of [['network', 'create', '--subnet', '10.96.0.0/24', 'execnet'], ['create', '--name', 'box', '--network', 'execnet', '--ip', '10.96.0.5', '--alias', 'box.internal'], ['create', '--name', 'peer', '--network', 'execnet', '--ip', '10.96.0.6']]) {
    const r = await cli(args);
    expect(r.stderr).toBe('');
  }
}, 120_000);

afterAll(async () => {
  if (!stateDir) return;
  await cli(['rm', '-f', 'box', 'peer']);
  await cli(['network', 'rm', '-f', 'execnet']);
  rmSync(stateDir, { recursive: true, force: true });
});

describe('netplumb exec', () => {
  it("runs CMD in the sandbox's namespace with its hosts file, -e and -w applied, CMD's own options untouched", async () => {
    const r = await cli(['exec', '-e', 'GREETING=hi', '-w', '/tmp', 'box', 'sh', '-c', 'echo "$GREETING $1 $(pwd)"; ip -j addr show dev eth0; getent hosts box.internal', 'sh', '-e']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [first, json, hosts] = r.stdout.split('\n');
    expect(first).toBe('hi -e /tmp');
    // The address CMD saw is the one the kernel reports inside the sandbox's namespace.
    const [box] = JSON.parse((await cli(['ps', '--json'])).stdout).filter((s: { name: string }) => s.name === 'box') as { netnsName: string }[];
    const witness = ipJson<{ addr_info: { local: string }[] }[]>(box!.netnsName, 'addr', 'show', 'dev', 'eth0');
    expect((JSON.parse(json!) as typeof witness)[0]?.addr_info.map((a) => a.local)).toEqual(witness[0]?.addr_info.map((a) => a.local));
    expect(witness[0]?.addr_info.map((a) => a.local)).toContain('10.96.0.5');
    expect(hosts).toMatch(/^10\.96\.0\.5\s/);
  });

  it('reaches another sandbox on the network from inside', async () => {
    const r = await cli(['exec', 'box', 'ping', '-c', '1', '-W', '5', '10.96.0.6']);
    if (r.code === 127) {
      // No ping on this machine: the same path, proved with bash's /dev/tcp to a closed port (refused = reached).
      const tcp = await cli(['exec', 'box', 'bash', '-c', 'exec 3<>/dev/tcp/10.96.0.6/9 2>&1 || true']);
      expect(tcp.stdout + tcp.stderr).toMatch(/refused/i);
    } else {
      expect(r.stdout).toMatch(/1 received/);
    }
  });

  it('gives CMD an empty stdin unless -i, then this process\'s', async () => {
    expect((await cli(['exec', 'box', 'cat'], 'typed\n')).stdout).toBe('');
    expect((await cli(['exec', '-i', 'box', 'cat'], 'typed\n')).stdout).toBe('typed\n');
    expect((await cli(['exec', '-it', 'box', 'cat'], 'both\n')).stdout).toBe('both\n');
  });

  it("passes CMD's status through (its code, 128+signal, 127 not found) and says why with 125 or 2 when it cannot start", async () => {
    expect((await cli(['exec', 'box', 'sh', '-c', 'exit 42'])).code).toBe(42);
    expect((await cli(['exec', 'box', 'sh', '-c', 'kill -TERM $$'])).code).toBe(143);
    const missing = await cli(['exec', 'box', 'no-such-command-here']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/no-such-command-here/);
    const nobox = await cli(['exec', 'nobox', 'true']);
    expect(nobox.code).toBe(125);
    expect(nobox.stderr).toMatch(/sandbox 'nobox' not found[\s\S]*netplumb ps/);
    const usage = await cli(['exec', 'box']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/needs a sandbox and a command/);
    const help = await cli(['exec', 'box', 'sh', '-c', 'echo "$@"', 'sh', '--help']);
    expect(help.stdout).toBe('--help\n');
  });
});
