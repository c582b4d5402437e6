// The `netplumb` executable as a user runs it: the built dist/cli/main.cjs in
// a child process with its own --state-dir, checked by its output, its exit
// codes, iproute2 as a witness, and bytes sent from another namespace.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, addrCalls, linkCalls } from '../../../src/index.js';
import { assertSandbox, ip, ipJson } from '../support/witness.js';
import { CLI, ensureBuilt } from '../daemon/support/daemon.js';

// A client namespace joined to the host by a veth: traffic to published ports comes from outside.
const CLIENT = 'cli-client';
const HOST_ADDR = '192.0.2.1';
const CLIENT_ADDR = '192.0.2.2';

let stateDir: string;
let client: Netns;

interface Result {
  code: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { done: Promise<Result> } {
  const child = spawn(process.execPath, [CLI, '--state-dir', stateDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return { done: new Promise((r) => child.on('close', (code, signal) => r({ code, signal, stdout, stderr }))) };
}

const cli = (...args: string[]): Promise<Result> => startCli(args).done;

async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Connects from the client namespace until the server answers (it starts in another process). */
async function fetchFromClient(host: string, port: number, deadlineMs = 10_000): Promise<string> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      const sock = await client.connectTcp({ host, port, timeoutMs: 1000 });
      const chunks: Buffer[] = [];
      sock.on('data', (d: Buffer) => chunks.push(d));
      await new Promise((r, j) => {
        sock.on('close', r);
        sock.on('error', j);
      });
      return Buffer.concat(chunks).toString();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

beforeAll(async () => {
  assertSandbox();
  ensureBuilt();
  stateDir = mkdtempSync(join(tmpdir(), 'netplumb-cli-'));
  await Netns.remove(CLIENT, { ifExists: true });
  client = await Netns.create({ name: CLIENT });
  await Netns.host().exec([
    linkCalls.delete('cli-up', { ifExists: true }),
    linkCalls.addVeth({ name: 'cli-up', up: true, peer: { name: 'eth0', netns: client, up: true } }),
    addrCalls.add({ dev: 'cli-up', address: `${HOST_ADDR}/24` }),
  ]);
  await client.exec([addrCalls.add({ dev: 'eth0', address: `${CLIENT_ADDR}/24` })]);
}, 120_000);

afterAll(async () => {
  // Whatever a failed test left: sandboxes, then networks, then the client.
  if (stateDir) {
    const left = await cli('ps', '-q');
    const ids = left.stdout.split('\n').filter(Boolean);
    if (ids.length) await cli('rm', '-f', ...ids);
    const nets = JSON.parse((await cli('network', 'ls', '--json')).stdout || '[]') as { Name: string }[];
    if (nets.length) await cli('network', 'rm', '-f', ...nets.map((n) => n.Name));
    rmSync(stateDir, { recursive: true, force: true });
  }
  await client?.delete();
});

describe('netplumb network', () => {
  it('create, ls --json, inspect and rm make and remove a bridge that iproute2 sees', async () => {
    const id = (await ok('network', 'create', '--subnet', '10.91.0.0/24', '--gateway', '10.91.0.1', '--opt', 'com.docker.network.bridge.name=cli-br0', 'clinet')).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const list = JSON.parse(await ok('network', 'ls', '--json')) as { Name: string; Id: string }[];
    expect(list).toContainEqual(expect.objectContaining({ Name: 'clinet', Id: id }));
    expect(await ok('network', 'ls')).toMatch(/clinet\s+bridge\s+10\.91\.0\.0\/24\s+10\.91\.0\.1\s+cli-br0/);
    const [inspect] = JSON.parse(await ok('network', 'inspect', 'clinet')) as { IPAM: { Config: { Subnet: string; Gateway: string }[] } }[];
    expect(inspect?.IPAM.Config[0]).toEqual({ Subnet: '10.91.0.0/24', Gateway: '10.91.0.1' });
    const [addr] = ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>(undefined, 'addr', 'show', 'dev', 'cli-br0');
    expect(addr?.addr_info).toContainEqual(expect.objectContaining({ local: '10.91.0.1', prefixlen: 24 }));
    expect(await ok('network', 'rm', 'clinet')).toBe('clinet\n');
    expect(ip(undefined, 'link', 'show')).not.toMatch(/cli-br0/);
    expect(JSON.parse(await ok('network', 'ls', '--json'))).toEqual([]);
  });
});

describe('netplumb run', () => {
  it('runs a server in the sandbox behind -p 8080:80, reachable from another namespace, and removes the sandbox (--rm)', async () => {
    await ok('network', 'create', '--subnet', '10.92.0.0/24', 'runnet');
    const server =
      "const srv = require('net').createServer((s) => { s.end('served to ' + s.remoteAddress); srv.close(); }).listen(80, '0.0.0.0');";
    const run = startCli(['run', '--rm', '--name', 'runweb', '--network', 'runnet', '-p', '8080:80', '--', process.execPath, '-e', server]);
    const text = await fetchFromClient(HOST_ADDR, 8080);
    expect(text).toBe(`served to ${CLIENT_ADDR}`);
    const r = await run.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(await ok('ps', '--json'))).toEqual([]);
    expect(ip(undefined, 'netns', 'list')).not.toMatch(/^np-/m);
    await ok('network', 'rm', 'runnet');
  });

  it("passes the command's exit status through: its code, 128+signal, 127 when not found", async () => {
    expect((await cli('run', '--rm', '--network', 'none', '--', 'sh', '-c', 'exit 42')).code).toBe(42);
    expect((await cli('run', '--rm', '--network', 'none', '--', 'sh', '-c', 'kill -TERM $$')).code).toBe(143);
    const missing = await cli('run', '--rm', '--network', 'none', '--', 'no-such-command-here');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/no-such-command-here/);
    // The command sees the sandbox's network: only lo in network mode none.
    const links = await cli('run', '--rm', '--network', 'none', '--', 'ip', '-br', 'link');
    expect(links.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['lo']);
    expect(JSON.parse(await ok('ps', '--json'))).toEqual([]);
  });

  it("gives CMD the sandbox's resolv.conf, pointing at the network's DNS responder that this run serves", async () => {
    await ok('network', 'create', '--subnet', '10.95.0.0/24', 'dnsnet');
    await ok('create', '--name', 'dnsbox', '--network', 'dnsnet', '--ip', '10.95.0.7');
    const r = await cli('run', '--rm', '--network', 'dnsnet', '--', 'sh', '-c', 'grep ^nameserver /etc/resolv.conf; getent ahostsv4 dnsbox | head -1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nameserver 10\.95\.0\.1\n10\.95\.0\.7 /);
    await ok('rm', 'dnsbox');
    await ok('network', 'rm', 'dnsnet');
  });

  it('fails with 125 and says why when the sandbox cannot be made', async () => {
    const r = await cli('run', '--rm', '--network', 'nosuchnet', '--', 'true');
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/network 'nosuchnet' not found[\s\S]*netplumb network ls/);
  });
});

describe('netplumb create, port, ps, rm', () => {
  it('creates a sandbox with a published port, lists it, and removes it', async () => {
    await ok('network', 'create', '--subnet', '10.93.0.0/24', 'psnet');
    const id = (await ok('create', '--name', 'box1', '--network', 'psnet', '--ip', '10.93.0.9', '-p', '127.0.0.1:9090:90/udp', '-p', '8081:81')).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await ok('port', 'box1')).toBe('90/udp -> 127.0.0.1:9090\n81/tcp -> 0.0.0.0:8081\n');
    const [box] = JSON.parse(await ok('ps', '--json')) as { id: string; name: string; netnsName: string; networks: { network: string; ipv4: string }[] }[];
    expect(box).toMatchObject({ id, name: 'box1', networks: [{ network: 'psnet', ipv4: '10.93.0.9' }] });
    // Witness: the namespace exists with eth0 addressed as listed.
    const [eth0] = ipJson<{ addr_info: { local: string }[] }[]>(box?.netnsName, 'addr', 'show', 'dev', 'eth0');
    expect(eth0?.addr_info.map((a) => a.local)).toContain('10.93.0.9');
    expect(await ok('ps')).toMatch(/box1\s+bridge\s+psnet=10\.93\.0\.9\s+90\/udp -> 127\.0\.0\.1:9090, 81\/tcp -> 0\.0\.0\.0:8081/);
    expect(await ok('rm', 'box1')).toBe('box1\n');
    expect(ip(undefined, 'netns', 'list')).not.toContain(box?.netnsName);
    expect(JSON.parse(await ok('ps', '--json'))).toEqual([]);
    await ok('network', 'rm', 'psnet');
  });

  it('rm -f succeeds for a sandbox that is already gone; rm without -f says it is not found (3)', async () => {
    expect(await ok('rm', '-f', 'never-was')).toBe('never-was\n');
    const r = await cli('rm', 'never-was');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/sandbox 'never-was' not found/);
  });
});

describe('netplumb reconcile, after a killed create and with a damaged state file', () => {
  /** A create killed (SIGKILL) right after its veth pair was made: the boundary is found by a full run first. */
  async function killedCreate(name: string): Promise<void> {
    const log = join(stateDir, 'boundaries');
    rmSync(log, { force: true });
    const probe = await startCli(['create', '--name', 'probe', '--network', 'recnet', '-p', '8601:80'], { NETPLUMB_BOUNDARY_LOG: log }).done;
    expect(probe.code).toBe(0);
    const records = readFileSync(log, 'utf8').match(/.{63}\n/gs)!.map((r) => r.trim());
    rmSync(log, { force: true });
    await ok('rm', 'probe');
    const at = records.findIndex((r) => r.startsWith('native send RTM_NEWLINK npv')) + 2;
    expect(at).toBeGreaterThan(1);
    const r = await startCli(['create', '--name', name, '--network', 'recnet', '-p', '8601:80'], { NETPLUMB_BOUNDARY_LOG: log, NETPLUMB_KILL_AT: String(at) }).done;
    expect(r.signal).toBe('SIGKILL');
    rmSync(log, { force: true });
  }
  it('rm -f NAME removes what a killed create of NAME left; reconcile rolls another back and says so', async () => {
    await ok('network', 'create', '--subnet', '10.95.0.0/24', 'recnet');
    const bare = () => ({ netns: ip(undefined, 'netns', 'list').match(/^np-\S+/gm) ?? [], veths: ip(undefined, 'link', 'show').match(/npv[0-9a-f]{12}/g) ?? [] });
    const clean = bare();
    await killedCreate('half1');
    expect(bare()).not.toEqual(clean);
    expect(await ok('rm', '-f', 'half1')).toBe('half1\n');
    expect(bare()).toEqual(clean);

    await killedCreate('half2');
    const out = await ok('reconcile');
    expect(out).toContain('rolled back (creation never finished): half2\n');
    expect(bare()).toEqual(clean);
    expect(await ok('reconcile')).toBe('nothing to repair\n');
    // The port the killed creates had taken is free again.
    await ok('create', '--name', 'whole', '--network', 'recnet', '-p', '8601:80');
    await ok('rm', 'whole');
  });

  it('a damaged sandbox record: exit 6 naming the file; reconcile quarantines it', async () => {
    const id = (await ok('create', '--name', 'dmg', '--network', 'recnet')).trim();
    const file = join(stateDir, 'run', 'sandboxes', `${id}.json`);
    writeFileSync(file, '{"id": "');
    const r = await cli('port', 'dmg');
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/netplumb reconcile/);
    const out = await ok('reconcile');
    expect(out).toMatch(new RegExp(`quarantined: ${file} \\(.*\\) -> .*quarantine`));
    expect((await cli('port', 'dmg')).code).toBe(3);
    await ok('network', 'rm', 'recnet');
  });
});

describe('usage errors and exit codes', () => {
  it('gives 2 for a bad command line or value, 3 for a missing object, 4 for a conflict', async () => {
    const noName = await cli('network', 'create');
    expect(noName.code).toBe(2);
    expect(noName.stderr).toMatch(/missing required argument 'name'/);
    const badFlag = await cli('ps', '--bogus');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/unknown option '--bogus'.*\n.*netplumb ps --help/);
    const badSubnet = await cli('network', 'create', '--subnet', 'not-a-cidr', 'x');
    expect(badSubnet.code).toBe(2);
    expect(badSubnet.stderr).toMatch(/not-a-cidr/);
    const noDashes = await cli('run', 'true');
    expect(noDashes.code).toBe(2);
    expect(noDashes.stderr).toMatch(/after --/);
    expect((await cli('create', '--netns', '/x', '--pid', '1')).code).toBe(2);
    // -d/--driver and -o as Docker spells them: the refusals say what is missing.
    const noParent = await cli('network', 'create', '-d', 'macvlan', '--subnet', '10.95.0.0/24', 'mv');
    expect(noParent.code).toBe(2);
    expect(noParent.stderr).toMatch(/parent=IFACE/);
    const noCluster = await cli('network', 'create', '-d', 'overlay', '--subnet', '10.96.0.0/16', '-o', 'vni=7', 'ov');
    expect(noCluster.code).toBe(2);
    expect(noCluster.stderr).toMatch(/cluster store/);
    const missing = await cli('network', 'inspect', 'nope');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/network 'nope' not found/);
    await ok('network', 'create', '--subnet', '10.94.0.0/24', 'dup');
    const dup = await cli('network', 'create', 'dup');
    expect(dup.code).toBe(4);
    expect(dup.stderr).toMatch(/already exists/);
    await ok('network', 'rm', 'dup');
  });

  it('documents the exit codes in --help, and every command has --help', async () => {
    const help = await ok('--help');
    expect(help).toMatch(/Exit codes:[\s\S]*3 +not found[\s\S]*125 +run, exec:/);
    for (const cmd of [['network', 'create'], ['network', 'ls'], ['run'], ['create'], ['exec'], ['ps'], ['port'], ['rm'], ['reconcile'], ['sandbox'], ['demo']])
      expect(await ok(...cmd, '--help')).toMatch(/^Usage: netplumb /);
  });
});

describe('netplumb demo', () => {
  it('builds the lab, passes every check and leaves nothing behind', async () => {
    const r = await cli('demo');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/All \d+ checks passed\./);
    expect(r.stdout).not.toMatch(/FAIL/);
    expect(r.stdout).toMatch(/Nothing is left/);
    expect(r.code).toBe(0);
  }, 60_000);
});
