// Docker habits on the built CLI (issue 16): network create/ls/inspect/rm/prune
// with Docker's flags and meanings, run/create flags checked inside the
// sandbox (hostname in its own UTS namespace, resolv.conf, hosts, IPv6
// address, MAC), run -d with logs/stop/start, ps/port/inspect with
// --filter/--format, and errors in Docker's words with their exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertSandbox } from '../support/witness.js';
import { CLI, ensureBuilt } from '../daemon/support/daemon.js';
import { removeEverythingIn } from '../model/support/engine.js';

let stateDir: string;

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--state-dir', stateDir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(...args: string[]): string {
  const r = cli(...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(() => {
  assertSandbox();
  ensureBuilt();
  stateDir = mkdtempSync(join(tmpdir(), 'np-parity-'));
}, 120_000);

afterAll(async () => {
  if (!stateDir) return;
  await removeEverythingIn(stateDir);
  rmSync(stateDir, { recursive: true, force: true });
});

describe('network commands as Docker has them', () => {
  it('create --ipv6 --label, ls -q/--filter/--format/--no-trunc, inspect --format', () => {
    const dual = ok('network', 'create', '--ipv6', '--subnet', '10.77.0.0/24', '--subnet', 'fd00:77::/64', '--label', 'env=test', '--label', 'team=a', '--attachable', 'dual').trim();
    ok('network', 'create', '--subnet', '10.78.0.0/24', 'plain');
    expect(ok('network', 'ls', '--filter', 'label=env=test', '-q')).toBe(`${dual.slice(0, 12)}\n`);
    expect(ok('network', 'ls', '--filter', 'label=env=test', '-q', '--no-trunc')).toBe(`${dual}\n`);
    expect(ok('network', 'ls', '--filter', 'name=pla', '--format', '{{.Name}} {{.IPv6}} {{.Subnet}}')).toBe('plain false 10.78.0.0/24\n');
    expect(ok('network', 'ls', '--filter', 'label!=env', '--filter', 'name=dual', '-q')).toBe('');
    expect(ok('network', 'ls', '--filter', 'label=team', '--format', '{{.Name}}|{{.Labels}}|{{json .IPv6}}')).toBe('dual|env=test,team=a|true\n');
    expect(ok('network', 'ls', '--filter', 'name=dual', '--format', 'table {{.ID}}\\t{{.Name}}')).toMatch(/^ID\s+NAME\n[0-9a-f]{12}\s+dual\n$/);
    const json = JSON.parse(ok('network', 'ls', '--filter', 'id=' + dual.slice(0, 6), '--format', '{{json .}}')) as Record<string, unknown>;
    expect(json).toMatchObject({ ID: dual.slice(0, 12), Name: 'dual', Driver: 'bridge', Scope: 'local', IPv6: true });
    expect(ok('network', 'inspect', '--format', '{{.Name}} {{index .Labels "team"}} {{json .IPAM.Config}}', 'dual')).toBe(
      'dual a [{"Subnet":"10.77.0.0/24","Gateway":"10.77.0.1"},{"Subnet":"fd00:77::/64","Gateway":"fd00:77::1"}]\n',
    );
    expect(cli('network', 'ls', '--filter', 'colour=red')).toMatchObject({ code: 2, stderr: expect.stringContaining("invalid filter 'colour'") });
    expect(cli('network', 'ls', '--format', '{{range .Labels}}')).toMatchObject({ code: 2 });
    expect(cli('network', 'create', '--subnet', 'fd00:79::/64', 'v6only')).toMatchObject({ code: 2, stderr: expect.stringContaining('add --ipv6') });
  });

  it('--aux-address keeps an address of the subnet from every sandbox, as the kernel shows', () => {
    ok('network', 'create', '--subnet', '10.78.1.0/29', '--aux-address', 'router=10.78.1.2', '--aux-address', 'printer=10.78.1.4', 'aux');
    expect(JSON.parse(ok('network', 'inspect', '--format', '{{json .IPAM.Config}}', 'aux'))).toEqual([
      { Subnet: '10.78.1.0/29', Gateway: '10.78.1.1', AuxiliaryAddresses: { router: '10.78.1.2', printer: '10.78.1.4' } },
    ]);
    const addressOf = (name: string): string[] => {
      const netns = ok('inspect', '--format', '{{.netnsPath}}', name).trim();
      const r = spawnSync('nsenter', [`--net=${netns}`, 'ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
      return (JSON.parse(r.stdout) as { addr_info: { local: string }[] }[]).flatMap((l) => l.addr_info.map((a) => a.local));
    };
    ok('create', '--name', 'aux1', '--network', 'aux');
    ok('create', '--name', 'aux2', '--network', 'aux');
    expect([...addressOf('aux1'), ...addressOf('aux2')]).toEqual(['10.78.1.3', '10.78.1.5']);
    expect(cli('create', '--name', 'aux3', '--network', 'aux', '--ip', '10.78.1.2')).toMatchObject({ code: 4, stderr: expect.stringContaining("reserved as the network's aux-address 'router'") });
    expect(cli('network', 'create', '--subnet', '10.78.2.0/24', '--aux-address', 'r=10.78.3.1', 'aux-out')).toMatchObject({ code: 2, stderr: expect.stringContaining('no matching subnet for aux-address 10.78.3.1') });
    expect(cli('network', 'inspect', 'aux-out').code).toBe(3);
    ok('rm', '-f', 'aux1', 'aux2');
    ok('network', 'rm', 'aux');
  });

  it('rm -f ignores a missing network (Docker\'s meaning); --disconnect removes one in use', () => {
    expect(cli('network', 'rm', '-f', 'never-was')).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(cli('network', 'rm', 'never-was')).toMatchObject({ code: 3, stderr: "netplumb: network 'never-was' not found\n  list networks with `netplumb network ls`\n" });
    ok('network', 'create', '--subnet', '10.79.0.0/24', 'gone1');
    ok('create', '--name', 'holder', '--network', 'gone1');
    expect(cli('network', 'rm', '-f', 'gone1').code).toBe(4);
    expect(ok('network', 'rm', '--disconnect', 'gone1')).toBe('gone1\n');
    expect(ok('inspect', '--format', '{{json .networks}}', 'holder')).toBe('[]\n');
    ok('rm', 'holder');
  });

  it('prune -f --filter label= removes only the unused networks with the label', () => {
    ok('network', 'create', '--subnet', '10.80.0.0/24', '--label', 'env=scratch', 'gone2');
    ok('network', 'create', '--subnet', '10.81.0.0/24', 'kept');
    expect(ok('network', 'prune', '-f', '--filter', 'label=env=scratch')).toBe('Deleted Networks:\ngone2\n');
    expect(ok('network', 'ls', '--format', '{{.Name}}').split('\n')).toContain('kept');
    ok('network', 'rm', 'kept');
  });
});

describe('run, create, ps, port, inspect as Docker has them', () => {
  it('gives the sandbox its hostname (own UTS namespace), DNS settings, extra hosts, IPv6 address and MAC; -P publishes --expose', () => {
    const out = ok(
      'run', '--rm', '--name', 'shape', '--hostname', 'webhost', '--net', 'dual', '--ip6', 'fd00:77::99', '--mac-address', '02:42:ac:11:00:99',
      '--dns', '192.0.2.53', '--dns-search', 'example.org', '--dns-option', 'ndots:2', '--add-host', 'db:10.1.2.3', '--network-alias', 'www',
      '--', 'sh', '-c', 'hostname; cat /etc/resolv.conf; grep -w db /etc/hosts; ip -6 -o addr show eth0 scope global; ip -o link show eth0',
    );
    const lines = out.split('\n');
    expect(lines[0]).toBe('webhost');
    expect(out).toMatch(/^nameserver 192\.0\.2\.53$/m);
    expect(out).toMatch(/^search example\.org$/m);
    expect(out).toMatch(/^options ndots:2$/m);
    expect(out).toMatch(/^10\.1\.2\.3\s+db$/m);
    expect(out).toContain('inet6 fd00:77::99/64');
    expect(out).toContain('link/ether 02:42:ac:11:00:99');
    // The host keeps its own name.
    expect(spawnSync('hostname', { encoding: 'utf8' }).stdout.trim()).not.toBe('webhost');

    ok('create', '--name', 'exposed', '--network', 'plain', '--expose', '80', '--expose', '53/udp', '-P', '--label', 'app=dns');
    const ports = ok('port', 'exposed');
    expect(ports).toMatch(/^80\/tcp -> 0\.0\.0\.0:\d+\n53\/udp -> 0\.0\.0\.0:\d+\n$|^53\/udp -> 0\.0\.0\.0:\d+\n80\/tcp -> 0\.0\.0\.0:\d+\n$/);
    const tcp = /80\/tcp -> (0\.0\.0\.0:\d+)/.exec(ports)![1];
    expect(ok('port', 'exposed', '80')).toBe(`${tcp}\n`);
    expect(ok('port', 'exposed', '80/tcp')).toBe(`${tcp}\n`);
    expect(cli('port', 'exposed', '81')).toMatchObject({ code: 3, stderr: expect.stringContaining("no public port '81/tcp' published for exposed") });
    expect(ok('ps', '--filter', 'label=app=dns', '--format', '{{.Name}} {{.Labels}} {{.Status}}')).toBe('exposed app=dns created\n');
    expect(ok('ps', '-a', '--filter', 'network=plain', '-q')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(ok('ps', '--filter', 'network=dual', '-q')).toBe('');
    expect(ok('inspect', '-f', '{{.name}} {{json .labels}}', 'exposed', 'plain')).toBe('exposed {"app":"dns"}\n<no value> null\n');
    expect(ok('inspect', '--type', 'network', '-f', '{{.Name}} {{.Driver}}', 'plain')).toBe('plain bridge\n');
    expect(cli('inspect', 'ghost')).toMatchObject({ code: 3, stdout: '[]\n', stderr: expect.stringContaining('no such object: ghost') });
    ok('rm', 'exposed');
  });

  it('run -d leaves the process running with its output in a log; stop, start, ps status; rm refuses a running one without -f', async () => {
    const id = ok('run', '-d', '--name', 'bg', '--hostname', 'bghost', '--network', 'plain', '--', 'sh', '-c', 'echo "up as $(hostname)"; exec sleep 300').trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    await until(() => cli('logs', 'bg').stdout.includes('up as bghost'));
    expect(ok('ps', '--filter', 'status=running', '--format', '{{.Name}} {{.Status}} {{.Command}}')).toBe('bg running sh -c echo "up as $(hostname)"; exec sleep 300\n');
    expect(cli('rm', 'bg')).toMatchObject({ code: 4, stderr: expect.stringContaining("cannot remove a running sandbox 'bg'") });
    expect(ok('stop', '-t', '1', 'bg')).toBe('bg\n');
    expect(ok('ps', '--filter', 'name=bg', '--format', '{{.Status}}')).toBe('exited\n');
    expect(ok('start', 'bg')).toBe('bg\n');
    await until(() => cli('logs', 'bg').stdout === 'up as bghost\nup as bghost\n');
    expect(ok('ps', '--filter', 'name=bg', '--format', '{{.Status}}')).toBe('running\n');
    expect(ok('rm', '-f', 'bg')).toBe('bg\n');
    expect(cli('logs', 'bg').code).toBe(3);
    expect(ok('ps', '-q')).toBe('');
  });

  it('errors: --pid of a missing process is not found; a user without privileges gets exit 5 and the hint', () => {
    expect(cli('create', '--pid', '999999', '--name', 'nopid')).toMatchObject({ code: 3, stderr: expect.stringContaining('no such process: 999999') });
    // A user namespace of its own with nothing mapped: no CAP_NET_ADMIN over this network namespace.
    const r = spawnSync('unshare', ['--user', process.execPath, CLI, '--state-dir', stateDir, 'network', 'create', '--subnet', '10.82.0.0/24', 'denied'], { encoding: 'utf8' });
    expect(r.status).toBe(5);
    expect(r.stderr).toContain('run it as root, or inside `netplumb sandbox -- …`');
  });
});
