// netplumbd in a cluster: two daemons, each managing one host namespace of an
// underlay, started with --cluster-store (etcd: Debian's etcd-server, one
// member in each host namespace) and --advertise-addr (and dockerd's
// --cluster-advertise). An overlay network made through one daemon's CLI
// reaches the other host, and sandboxes made through the two daemons' APIs
// talk across it; the real docker CLI (DOCKER_HOST) makes one through the
// other daemon's Docker API and sees it as a global network on both.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns } from '../../../src/index.js';
import { ensureBuilt, request, TestDaemon } from '../daemon/support/daemon.js';
import { exchange, serve } from '../model/support/traffic.js';
import { underlay, type Underlay } from './support/underlay.js';
import { snapshot } from '../support/witness.js';
import { startEtcd, type EtcdCluster } from './support/etcd.js';
import { eventually } from './support/witness.js';

let net: Underlay;
let dir: string;
let etcd: EtcdCluster;
const daemons: TestDaemon[] = [];

/** The real docker CLI (Debian's docker.io) against one daemon's socket. */
async function docker(d: TestDaemon, ...args: string[]): Promise<string> {
  const r = await promisify(execFile)('/usr/bin/docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: join(dir, 'docker-config') } });
  expect(r.stderr, args.join(' ')).toBe('');
  return r.stdout;
}

const info = async (d: TestDaemon) => (await request(d.socket, 'GET', '/netplumb/v1/info')).json as { cluster?: { connected: boolean; advertiseAddr: string; networks: Record<string, string> } };

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'np-cluster-daemon-'));
  net = await underlay('npc', 2, ['10.249.0.0/16', '10.248.0.0/16']);
  etcd = await startEtcd(dir, net.names.map((netns, i) => ({ netns, address: net.addresses[i]! })));
  for (let i = 0; i < 2; i++) {
    const advertise = i === 0 ? '--advertise-addr' : '--cluster-advertise';
    const d = new TestDaemon({ netns: net.names[i]!, args: ['-b', 'none', '--cluster-store', etcd.address, advertise, net.addresses[i]!] });
    daemons.push(d);
    await d.start();
  }
});

afterAll(async () => {
  for (const d of daemons) await d.cleanup().catch(() => undefined);
  await etcd?.stop();
  await net?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('netplumbd with --cluster-store', () => {
  it('refuses a store without this host\'s address, before touching anything', async () => {
    const before = snapshot(net.names[0]!);
    const d = new TestDaemon({ netns: net.names[0]!, args: ['--cluster-store', `dir://${dir}/other`] });
    const child = d.spawn();
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).not.toBe(0);
    expect(d.stderr + d.stdout).toContain('--advertise-addr');
    // Its flags are checked before it opens anything: not even the default network's bridge or the firewall table.
    expect(snapshot(net.names[0]!)).toBe(before);
    rmSync(d.dir, { recursive: true, force: true });
  });

  it('reports its standing with the cluster', async () => {
    for (const [i, d] of daemons.entries()) {
      await eventually(`daemon ${i + 1} registered`, async () => (await info(d)).cluster?.connected === true);
      expect((await info(d)).cluster?.advertiseAddr).toBe(net.addresses[i]);
    }
  });

  it('makes an overlay network from the CLI that the other daemon joins, and carries traffic between their sandboxes', async () => {
    const made = await daemons[0]!.cli(['network', 'create', '-d', 'overlay', '--subnet', '10.249.0.0/16', 'ovc']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    await eventually('daemon 2 joined', async () => (await info(daemons[1]!)).cluster?.networks.ovc !== undefined);
    const create = async (d: TestDaemon, name: string) => {
      const r = await request(d.socket, 'POST', '/netplumb/v1/sandboxes', { name, network: 'ovc' });
      expect(r.status).toBe(201);
      return r.json as { netnsPath: string; networks: { ipv4: string }[] };
    };
    const s1 = await create(daemons[0]!, 'c1');
    const s2 = await create(daemons[1]!, 'c2');
    const ns1 = await Netns.open({ path: s1.netnsPath });
    const ns2 = await Netns.open({ path: s2.netnsPath });
    const server = await serve(ns2, 7100, 'c2');
    try {
      // The first packets may wait for host 1 to program host 2's VTEP record.
      await eventually('c1 reaches c2', async () => (await exchange(ns1, s2.networks[0]!.ipv4, 7100, 'x').catch(() => '')) !== '');
      expect(await exchange(ns1, s2.networks[0]!.ipv4, 7100, 'x')).toBe(`c2 saw ${s1.networks[0]!.ipv4}: x`);
      expect(net.counters().bareClusterPackets).toBe(0);
      expect(net.counters().vxlanPackets).toBeGreaterThan(0);
      // Host 1's picture: the overlay network on its bridge with this host's subnet of the cluster's, and c1 on it.
      const g = (await request(daemons[0]!.socket, 'GET', '/netplumb/v1/graph?format=json')).json as { nodes: { id: string; [k: string]: unknown }[]; edges: { kind: string; from: string; to: string }[]; drift: unknown[] };
      const ov = g.nodes.find((n) => n.id === 'network:ovc');
      expect(ov).toMatchObject({ driver: 'overlay', deviceUp: true, presence: 'both', gateway: expect.stringMatching(/^10\.249\.\d+\.1$/) });
      expect(s1.networks[0]!.ipv4.startsWith(String(ov!.gateway).replace(/\.1$/, '.'))).toBe(true);
      expect(g.nodes.find((n) => n.id === 'if:c1/eth0')).toMatchObject({ linkKind: 'veth', addresses: [expect.stringMatching(new RegExp(`^${s1.networks[0]!.ipv4.replace(/\./g, '\\.')}/`))] });
      const end = g.edges.find((e) => e.kind === 'veth' && e.to === 'if:c1/eth0')?.from;
      expect(g.edges.filter((e) => e.kind === 'port-of' && e.from === end).map((e) => e.to)).toEqual(['network:ovc']);
      expect(g.nodes.some((n) => n.id === 'if:c2/eth0')).toBe(false);
      expect(g.drift).toEqual([]);
    } finally {
      server.close();
      ns1.close();
      ns2.close();
    }
    expect((await request(daemons[0]!.socket, 'DELETE', '/netplumb/v1/sandboxes/c1')).status).toBe(204);
    expect((await request(daemons[1]!.socket, 'DELETE', '/netplumb/v1/sandboxes/c2')).status).toBe(204);
    // Refused (403, sandboxes on other hosts) until daemon 2 has seen c1's records leave the store.
    await eventually('ovc removed', async () => (await request(daemons[1]!.socket, 'DELETE', '/netplumb/v1/networks/ovc')).status === 204);
    await eventually('daemon 1 left', async () => Object.keys((await info(daemons[0]!)).cluster?.networks ?? {}).length === 0);
  });

  it('takes a docker network create -d overlay, and lists it on both hosts with scope global', async () => {
    await docker(daemons[1]!, 'network', 'create', '-d', 'overlay', '--subnet', '10.248.0.0/16', 'ovk');
    await eventually('daemon 1 joined', async () => (await info(daemons[0]!)).cluster?.networks.ovk !== undefined);
    for (const d of daemons) expect(await docker(d, 'network', 'ls', '--filter', 'name=ovk', '--format', '{{.Name}} {{.Driver}} {{.Scope}}')).toBe('ovk overlay global\n');
    await docker(daemons[0]!, 'network', 'rm', 'ovk');
    await eventually('daemon 2 left', async () => Object.keys((await info(daemons[1]!)).cluster?.networks ?? {}).length === 0);
  });
});
