// `netplumb graph` and the model's graph under it: for a topology made with
// the Engine, the nodes and edges say what the kernel (read back with `ip`
// as witness) and the state hold; objects made or removed behind netplumb's
// back show as drift until reconcile; the CLI and the daemon draw the same
// graph in every format.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../../src/index.js';
import type { Engine } from '../../../src/model/index.js';
import type { HostGraph, GraphNode } from '../../../src/model/graph/types.js';
import { ownerOf } from '../../../src/model/state/owner.js';
import { stateDirs } from '../../../src/store/dirs.js';
import { RemoteEngine } from '../../../src/client/remote-engine.js';
import { assertSandbox, ip, ipJson } from '../support/witness.js';
import { freshHost, removeEverything } from '../model/support/engine.js';
import { CLI, daemonInNamespace, ensureBuilt, request, type DaemonInNamespace } from '../daemon/support/daemon.js';

const HOST = 'np-graph-host';
let root: string;
let dirs: { stateDir: string; etcDir: string };
let host: Netns;
let engine: Engine;

const node = (g: HostGraph, id: string): GraphNode | undefined => g.nodes.find((n) => n.id === id);
const edges = (g: HostGraph, kind: string): string[] => g.edges.filter((e) => e.kind === kind).map((e) => `${e.from} -> ${e.to}${e.label ? ` ${e.label}` : ''}`).sort();

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('nsenter', [`--net=/run/netns/${HOST}`, '--', process.execPath, CLI, '--state-dir', dirs.stateDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NETPLUMB_ETC_DIR: dirs.etcDir },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  assertSandbox();
  ensureBuilt();
  root = mkdtempSync(join(tmpdir(), 'np-graph-'));
  dirs = { stateDir: join(root, 'state'), etcDir: join(root, 'etc') };
  ({ host, engine } = await freshHost(HOST, dirs));
}, 120_000);

afterAll(async () => {
  await removeEverything(engine);
  await engine?.close();
  await host?.delete();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the graph of a known topology', () => {
  it('has every network, sandbox, interface, veth pair, published port and isolation, as the kernel has them', async () => {
    const backend = await engine.networks.create({ name: 'backend', subnet: '10.91.0.0/24' });
    const front = await engine.networks.create({ name: 'front', subnet: '10.92.0.0/24', internal: true });
    const web = await engine.sandboxes.create({ name: 'web', network: 'backend', publish: ['8080:80', '127.0.0.1:5353:53/udp'] });
    await engine.sandboxes.create({ name: 'db', network: 'backend' });
    await engine.sandboxes.connect('web', 'front');
    await engine.sandboxes.create({ name: 'side', network: 'container:web' });
    const g = await engine.graph();

    const kinds = (k: string): string[] => g.nodes.filter((n) => n.kind === k).map((n) => n.id).sort();
    expect(kinds('network')).toEqual(['network:backend', 'network:front']);
    expect(kinds('sandbox')).toEqual(['sandbox:db', 'sandbox:side', 'sandbox:web']);
    expect(kinds('interface')).toEqual(['if:db/eth0', 'if:web/eth0', 'if:web/eth1']);
    expect(kinds('host-port')).toEqual(['port:0.0.0.0:8080/tcp', 'port:127.0.0.1:5353/udp']);
    expect(node(g, 'network:backend')).toMatchObject({ driver: 'bridge', subnet: '10.91.0.0/24', gateway: '10.91.0.1', device: backend.Options['com.docker.network.bridge.name'], deviceUp: true, internal: false, presence: 'both' });
    expect(node(g, 'network:front')).toMatchObject({ subnet: '10.92.0.0/24', internal: true, device: front.Options['com.docker.network.bridge.name'] });

    // Witness: each host end is the kernel's veth whose master is the network's bridge, and its pair is the interface in the sandbox.
    const hostLinks = ipJson<{ ifname: string; master?: string; link_type: string }[]>(HOST, '-d', 'link', 'show', 'type', 'veth');
    const webIp = web.networks[0]!.ipv4;
    const webNs = web.netnsPath;
    const inside = JSON.parse(execFileSync('nsenter', [`--net=${webNs}`, 'ip', '-j', 'addr', 'show', 'eth0'], { encoding: 'utf8' })) as { address: string; addr_info: { local: string; prefixlen: number }[] }[];
    expect(node(g, 'if:web/eth0')).toMatchObject({ kind: 'interface', sandbox: 'web', linkKind: 'veth', up: true, mac: inside[0]!.address, presence: 'both' });
    expect((node(g, 'if:web/eth0') as { addresses: string[] }).addresses).toEqual(inside[0]!.addr_info.filter((a) => a.local.includes('.')).map((a) => `${a.local}/${a.prefixlen}`));
    expect(webIp).toBe(inside[0]!.addr_info[0]!.local);
    const ends = g.nodes.filter((n) => n.kind === 'host-end');
    expect(ends.map((n) => n.id.slice('host-end:'.length)).sort()).toEqual(hostLinks.map((l) => l.ifname).sort());
    for (const e of ends) expect((e as { master: string }).master).toBe(hostLinks.find((l) => l.ifname === (e as { name: string }).name)?.master);

    const endOf = (iface: string): string => g.edges.find((e) => e.kind === 'veth' && e.to === iface)!.from;
    expect(edges(g, 'veth')).toEqual([`${endOf('if:db/eth0')} -> if:db/eth0`, `${endOf('if:web/eth0')} -> if:web/eth0`, `${endOf('if:web/eth1')} -> if:web/eth1`].sort());
    expect(edges(g, 'port-of')).toEqual([`${endOf('if:db/eth0')} -> network:backend`, `${endOf('if:web/eth0')} -> network:backend`, `${endOf('if:web/eth1')} -> network:front`].sort());
    expect(edges(g, 'in')).toEqual(['if:db/eth0 -> sandbox:db', 'if:web/eth0 -> sandbox:web', 'if:web/eth1 -> sandbox:web']);
    expect(edges(g, 'publishes')).toEqual([`port:0.0.0.0:8080/tcp -> if:web/eth0 ${webIp}:80/tcp`, `port:127.0.0.1:5353/udp -> if:web/eth0 ${webIp}:53/udp`]);
    expect(edges(g, 'isolated')).toEqual(['network:backend -> network:front internal']);
    expect(edges(g, 'shares-netns')).toEqual(['sandbox:side -> sandbox:web']);
    expect(g.drift).toEqual([]);
  });

  it('shows drift: an interface made with ip in a sandbox, a host veth with our mark and no record, a record whose veth is gone; reconcile clears it', async () => {
    const db = (await engine.sandboxes.inspect('db'))!;
    execFileSync('nsenter', [`--net=${db.netnsPath}`, 'ip', 'link', 'add', 'stray0', 'type', 'veth', 'peer', 'name', 'stray1']);
    const owner = ownerOf(stateDirs({}, { NETPLUMB_STATE_DIR: dirs.stateDir })).id;
    ip(HOST, 'link', 'add', 'npv0000000abcde', 'group', String(owner), 'type', 'veth', 'peer', 'name', 'np-graph-peer');
    let g = await engine.graph();
    const web1End = g.edges.find((e) => e.kind === 'veth' && e.to === 'if:web/eth1')!.from.slice('host-end:'.length);
    ip(HOST, 'link', 'del', web1End);
    g = await engine.graph();

    expect(g.drift.map((d) => `${d.presence} ${d.node}`).sort()).toEqual(
      ['kernel-only host-end:npv0000000abcde', 'kernel-only if:db/stray0', 'kernel-only if:db/stray1', `state-only host-end:${web1End}`, 'state-only if:web/eth1'].sort(),
    );
    expect(node(g, 'if:db/stray0')).toMatchObject({ presence: 'kernel-only', linkKind: 'veth' });
    expect(node(g, 'if:web/eth1')).toMatchObject({ presence: 'state-only', addresses: [expect.stringMatching(/^10\.92\.0\.\d+\/24$/)] });
    expect(edges(g, 'in')).toContain('if:db/stray0 -> sandbox:db');

    // The CLI says the same, in words.
    const text = cli('graph');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/DRIFT\n(.*\n)*  kernel-only: db\/stray0 \(veth\) is in the sandbox's namespace/);
    expect(text.stdout).toContain(`state-only: host end ${web1End} of web/eth1 is not in the kernel`);

    // Reconcile puts back the veth and deletes the marked stray; the interface made by hand is the user's to remove.
    await engine.reconcile();
    g = await engine.graph();
    expect(g.drift.map((d) => d.node).sort()).toEqual(['if:db/stray0', 'if:db/stray1']);
    execFileSync('nsenter', [`--net=${db.netnsPath}`, 'ip', 'link', 'del', 'stray0']);
    expect((await engine.graph()).drift).toEqual([]);
  });

  it('draws a macvlan network on its parent device: the sandbox interface is the macvlan the kernel has, with no host end and no isolation edge', async () => {
    ip(HOST, 'link', 'add', 'gpar0', 'type', 'veth', 'peer', 'name', 'gpar1');
    ip(HOST, 'link', 'set', 'gpar0', 'up');
    try {
      await engine.networks.create({ name: 'lan', driver: 'macvlan', subnet: '10.93.0.0/24', options: { parent: 'gpar0' } });
      const mv = await engine.sandboxes.create({ name: 'mv', network: 'lan' });
      const g = await engine.graph();
      expect(node(g, 'network:lan')).toMatchObject({ driver: 'macvlan', subnet: '10.93.0.0/24', gateway: '10.93.0.1', device: 'gpar0', deviceUp: true, presence: 'both' });
      // Witness: the interface inside is a macvlan on gpar0, with the address the graph gives it.
      const [inside] = JSON.parse(execFileSync('nsenter', [`--net=${mv.netnsPath}`, 'ip', '-d', '-j', 'addr', 'show', 'eth0'], { encoding: 'utf8' })) as { address: string; linkinfo: { info_kind: string }; addr_info: { local: string; prefixlen: number; family: string }[] }[];
      expect(inside!.linkinfo.info_kind).toBe('macvlan');
      expect(node(g, 'if:mv/eth0')).toMatchObject({ linkKind: 'macvlan', mac: inside!.address, up: true, presence: 'both' });
      expect((node(g, 'if:mv/eth0') as { addresses: string[] }).addresses).toEqual(inside!.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`));
      expect(edges(g, 'port-of')).toContain('if:mv/eth0 -> network:lan');
      expect(g.edges.filter((e) => e.to === 'if:mv/eth0' && e.kind === 'veth')).toEqual([]);
      expect(g.edges.filter((e) => e.kind === 'isolated' && (e.from === 'network:lan' || e.to === 'network:lan'))).toEqual([]);
      expect(g.drift).toEqual([]);
      const text = cli('graph');
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('lan');
      expect(text.stdout).toContain('macvlan');
    } finally {
      await engine.sandboxes.remove('mv', { force: true });
      await engine.networks.remove('lan').catch(() => undefined);
      ip(HOST, 'link', 'del', 'gpar0');
    }
  });

  it('the CLI draws the same graph as text, JSON, dot, mermaid and a self-contained SVG', async () => {
    const g = await engine.graph();
    const json = cli('graph', '--format', 'json');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual(g);

    const dot = cli('graph', '--format', 'dot').stdout;
    expect(dot).toMatch(/^digraph netplumb \{/);
    for (const e of g.edges.filter((x) => x.kind !== 'in')) expect(dot).toContain(`"${e.from}" -> "${e.to}"`);
    expect(cli('graph', '--format', 'mermaid').stdout).toMatch(/^flowchart LR\n/);

    const out = join(root, 'host.svg');
    expect(cli('graph', '-o', out)).toMatchObject({ code: 0, stdout: '' });
    const svg = readFileSync(out, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    // Self-contained: nothing it would fetch.
    expect(svg).not.toMatch(/href=|url\((?!#)|@import|<script/);
    for (const n of g.nodes.filter((x) => x.kind !== 'sandbox')) expect(svg).toContain(`data-node="${n.id}"`);
    expect(cli('graph', '--format', 'png').code).toBe(2);
  });
});

describe('through netplumbd', () => {
  let d: DaemonInNamespace;
  beforeAll(async () => {
    d = await daemonInNamespace('np-graph-daemon');
  }, 120_000);
  afterAll(async () => {
    await d?.cleanup();
  });

  it('serves the graph at GET /netplumb/v1/graph in every format, and the remote engine and CLI get it', async () => {
    expect((await d.daemon.cli(['network', 'create', '--subnet', '10.93.0.0/24', 'dnet'])).code).toBe(0);
    expect((await d.daemon.cli(['create', '--name', 'd1', '--network', 'dnet', '-p', '8081:81'])).code).toBe(0);
    const remote = await RemoteEngine.connect({ socket: d.daemon.socket });
    const g = await remote.graph();
    await remote.close();
    expect(g.nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['network:dnet', 'sandbox:d1', 'if:d1/eth0', 'port:0.0.0.0:8081/tcp']));
    expect(g.drift).toEqual([]);
    const svg = await request(d.daemon.socket, 'GET', '/netplumb/v1/graph?format=svg');
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.text).toContain('data-node="if:d1/eth0"');
    expect((await request(d.daemon.socket, 'GET', '/netplumb/v1/graph?format=nope')).status).toBe(400);
    const viaCli = await d.daemon.cli(['graph', '--format', 'json']);
    expect(viaCli.stderr).toBe('');
    expect(JSON.parse(viaCli.stdout)).toEqual(g);
  });
});
