// The real docker CLI (Debian's docker.io, /usr/bin/docker; never dockerd)
// drives netplumbd through DOCKER_HOST: network create with every IPAM and
// driver option, ls with filters and formats, inspect, connect and
// disconnect of a sandbox, rm, prune and events. The kernel (iproute2) and
// bytes sent into the sandbox are the witnesses.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns } from '../../../src/index.js';
import { ip, ipJson } from '../support/witness.js';
import { exchange, serve } from '../model/support/traffic.js';
import { type DaemonInNamespace, daemonInNamespace, TestDaemon } from './support/daemon.js';

const DOCKER = '/usr/bin/docker';
const HOST = 'npd-dk-host';
let setup: DaemonInNamespace;
let daemon: TestDaemon;
let host: Netns;
let dockerConfig: string;

async function docker(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(DOCKER, args, { env: { ...process.env, DOCKER_HOST: `unix://${daemon.socket}`, DOCKER_CONFIG: dockerConfig } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

async function ok(...args: string[]): Promise<string> {
  const r = await docker(...args);
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  if (!existsSync(DOCKER)) throw new Error(`${DOCKER} is missing: install Debian's docker.io (.ci/run does, with service starts denied)`);
  dockerConfig = mkdtempSync(join(tmpdir(), 'npd-dockercfg-'));
  setup = await daemonInNamespace(HOST);
  ({ host, daemon } = setup);
}, 180_000);

afterAll(async () => {
  await setup?.cleanup();
  if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
});

describe('docker CLI 20.10 against netplumbd', () => {
  it('negotiates API 1.41 and reports the server', async () => {
    const v = JSON.parse(await ok('version', '--format', '{{json .Server}}')) as { ApiVersion: string; Platform: { Name: string }; Os: string };
    expect(v.ApiVersion).toBe('1.41');
    expect(v.Platform.Name).toBe('netplumb');
    expect(v.Os).toBe('linux');
  });

  it('creates networks with subnet, gateway, ip-range, aux-address, labels, options and --internal, as the kernel shows', async () => {
    const id = (await ok('network', 'create', '--subnet', '10.61.0.0/24', '--gateway', '10.61.0.1', '--ip-range', '10.61.0.128/25', '--aux-address', 'router=10.61.0.128',
      '--label', 'team=a', '--label', 'env=test', '-o', 'com.docker.network.bridge.name=dk-br0', '-o', 'com.docker.network.driver.mtu=1400', 'dknet')).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    await ok('network', 'create', '--internal', '--label', 'team=b', 'dkint');

    const [br] = ipJson<{ mtu: number; addr_info: { local: string; prefixlen: number }[] }[]>(HOST, 'addr', 'show', 'dev', 'dk-br0');
    expect(br?.addr_info).toContainEqual(expect.objectContaining({ local: '10.61.0.1', prefixlen: 24 }));
    expect(br?.mtu).toBe(1400);

    expect(JSON.parse(await ok('network', 'inspect', 'dknet', '--format', '{{json .IPAM.Config}}'))).toEqual([{ Subnet: '10.61.0.0/24', IPRange: '10.61.0.128/25', Gateway: '10.61.0.1', AuxiliaryAddresses: { router: '10.61.0.128' } }]);
    expect((await ok('network', 'inspect', 'dknet', '--format', '{{.Options}}')).trim()).toBe('map[com.docker.network.bridge.name:dk-br0 com.docker.network.driver.mtu:1400]');
    expect(JSON.parse(await ok('network', 'inspect', 'dknet', '--format', '{{json .Labels}}'))).toEqual({ team: 'a', env: 'test' });
    expect((await ok('network', 'inspect', 'dkint', '--format', '{{.Internal}} {{.Driver}} {{.Scope}}')).trim()).toBe('true bridge local');
    const [full] = JSON.parse(await ok('network', 'inspect', id.slice(0, 12))) as Record<string, unknown>[];
    expect(Object.keys(full!)).toEqual(['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels']);
  });

  it('lists networks with filters and formats, the predefined ones included', async () => {
    const table = await ok('network', 'ls');
    expect(table.split('\n')[0]).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    for (const row of [/\sbridge\s+bridge\s+local/, /\shost\s+host\s+local/, /\snone\s+null\s+local/, /\sdknet\s+bridge\s+local/]) expect(table).toMatch(row);
    expect((await ok('network', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}}')).trim()).toBe('dknet');
    expect((await ok('network', 'ls', '--filter', 'label=team', '--format', '{{.Name}}')).trim().split('\n').sort()).toEqual(['dkint', 'dknet']);
    expect((await ok('network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}')).trim().split('\n').sort()).toEqual(['dkint', 'dknet']);
    expect((await ok('network', 'ls', '--filter', 'driver=null', '--format', '{{.Name}}')).trim()).toBe('none');
    expect((await ok('network', 'ls', '--filter', 'name=dkn', '-q')).trim()).toMatch(/^[0-9a-f]{12}$/);
    const row = JSON.parse((await ok('network', 'ls', '--filter', 'name=dkint', '--format', '{{json .}}')).trim()) as Record<string, string>;
    expect(row).toMatchObject({ Name: 'dkint', Driver: 'bridge', Internal: 'true', IPv6: 'false', Labels: 'team=b', Scope: 'local' });
    const bad = await docker('network', 'ls', '--filter', 'colour=red');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Invalid filter 'colour'/);
  });

  it('connects and disconnects a sandbox: the address appears in its namespace and carries traffic, then goes', async () => {
    const made = await daemon.cli(['create', '--name', 'dkbox', '--network', 'none']);
    expect(made.stderr).toBe('');
    const sandboxId = made.stdout.trim();
    await ok('network', 'connect', '--ip', '10.61.0.200', '--alias', 'web', 'dknet', 'dkbox');
    const netnsName = `np-${sandboxId.slice(0, 12)}`;
    const [eth0] = ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>(netnsName, 'addr', 'show', 'dev', 'eth0');
    expect(eth0?.addr_info).toContainEqual(expect.objectContaining({ local: '10.61.0.200', prefixlen: 24 }));
    const containers = JSON.parse(await ok('network', 'inspect', 'dknet', '--format', '{{json .Containers}}')) as Record<string, { Name: string; IPv4Address: string }>;
    expect(containers[sandboxId]).toMatchObject({ Name: 'dkbox', IPv4Address: '10.61.0.200/24' });

    const box = await Netns.open({ path: `/run/netns/${netnsName}` });
    const server = await serve(box, 7000, 'dkbox');
    try {
      expect(await exchange(host, '10.61.0.200', 7000, 'hello')).toBe('dkbox saw 10.61.0.1: hello');
    } finally {
      server.close();
      box.close();
    }

    const inUse = await docker('network', 'rm', 'dknet');
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/Error response from daemon: error while removing network: network dknet id [0-9a-f]{64} has active endpoints/);

    await ok('network', 'disconnect', 'dknet', 'dkbox');
    expect(ip(netnsName, 'addr', 'show')).not.toMatch(/10\.61\.0\.200/);
    expect(JSON.parse(await ok('network', 'inspect', 'dknet', '--format', '{{json .Containers}}'))).toEqual({});

    const unknown = await docker('network', 'connect', 'dknet', 'nosuchbox');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No such container: nosuchbox/);
    expect((await daemon.cli(['rm', 'dkbox'])).code).toBe(0);
  });

  it('refuses what dockerd refuses, in its words', async () => {
    const missing = await docker('network', 'inspect', 'nosuchnet');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Error: No such network: nosuchnet/);
    const overlap = await docker('network', 'create', '--subnet', '10.61.0.0/25', 'dkover');
    expect(overlap.code).toBe(1);
    expect(overlap.stderr).toMatch(/overlaps/);
    const dup = await docker('network', 'create', 'dknet');
    expect(dup.stderr).toMatch(/network with name dknet already exists/);
    const predefined = await docker('network', 'rm', 'bridge');
    expect(predefined.stderr).toMatch(/bridge is a pre-defined network and cannot be removed/);
    expect((await ok('network', 'ls', '--format', '{{.Name}}')).trim().split('\n').sort()).toEqual(['bridge', 'dkint', 'dknet', 'host', 'none']);
  });

  it('removes and prunes networks, and the bridges leave the kernel', async () => {
    expect((await ok('network', 'rm', 'dknet')).trim()).toBe('dknet');
    expect(ip(HOST, 'link', 'show')).not.toMatch(/dk-br0/);
    const pruned = await ok('network', 'prune', '-f');
    expect(pruned).toBe('Deleted Networks:\ndkint\n\n');
    expect((await ok('network', 'ls', '--filter', 'type=custom', '-q')).trim()).toBe('');
  });

  it('reports the network events of the run, filtered, between since and until', async () => {
    const lines = (await ok('events', '--filter', 'type=network', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--format', '{{json .}}'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } });
    const seen = lines.map((e) => `${e.Action} ${e.Actor.Attributes.name}`);
    expect(seen).toEqual(expect.arrayContaining(['create dknet', 'create dkint', 'connect dknet', 'disconnect dknet', 'destroy dknet', 'destroy dkint']));
    expect(seen.indexOf('create dknet')).toBeLessThan(seen.indexOf('connect dknet'));
    expect(seen.indexOf('connect dknet')).toBeLessThan(seen.indexOf('disconnect dknet'));
    const connect = lines.find((e) => e.Action === 'connect');
    expect(connect?.Actor.Attributes.container).toMatch(/^[0-9a-f]{64}$/);
    const onlyCreates = (await ok('events', '--filter', 'event=create', '--filter', 'network=dkint', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--format', '{{.Action}} {{.Actor.Attributes.name}}')).trim();
    expect(onlyCreates).toBe('create dkint');
  });
});
