// The Docker-model firewall with real traffic. A "host" namespace routes
// between a "wan" namespace (over a veth) and three bridges with containers:
//   br-a 172.31.1.0/24 (a1, a2)  icc, masquerade, ports hairpinned
//   br-b 172.31.2.0/24 (b1, b2)  icc=false
//   br-i 172.31.3.0/24 (i1)      internal; the wan has a route to it
// Everything is built with the library's own primitives; `nft` only watches.
// Containers give up on a connection after one SYN retransmission, so a
// dropped path fails with the kernel's own ETIMEDOUT.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Socket as UdpSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Netns, Nftables, Sysctl, addrCalls, linkCalls, nft, routeCalls,
} from '../../../src/index.js';
import type { Ruleset } from '../../../src/nft/index.js';
import {
  FIREWALL_TABLE, baseChanges, claimTable, expandPorts, networkChanges, publishChanges, readFirewall,
  removeNetworkChanges, unpublishChanges, type FirewallNetwork, type PortMapping,
} from '../../../src/model/firewall/index.js';
import { assertSandbox } from '../support/witness.js';

const HOST = 'np-fw-host';
const WAN = 'np-fw-wan';
const HOST_WAN = '198.18.0.1';
const HOST_WAN2 = '198.18.0.3';
const WAN_ADDR = '198.18.0.2';

const NETS: Record<'a' | 'b' | 'i', FirewallNetwork> = {
  a: { bridge: 'br-a', subnets: ['172.31.1.0/24'], internal: false, icc: true, masquerade: true },
  b: { bridge: 'br-b', subnets: ['172.31.2.0/24'], internal: false, icc: false, masquerade: true },
  i: { bridge: 'br-i', subnets: ['172.31.3.0/24'], internal: true, icc: true, masquerade: true },
};
const CONTAINERS = {
  a1: { net: 'a', addr: '172.31.1.2' },
  a2: { net: 'a', addr: '172.31.1.3' },
  b1: { net: 'b', addr: '172.31.2.2' },
  b2: { net: 'b', addr: '172.31.2.3' },
  i1: { net: 'i', addr: '172.31.3.2' },
} as const;
type ContainerName = keyof typeof CONTAINERS;
const gateway = (net: 'a' | 'b' | 'i') => NETS[net].subnets[0]!.replace(/0\/24$/, '1');

const PORTS: PortMapping[] = [
  { endpoint: 'ep-a1', hostPort: 8080, protocol: 'tcp', containerIp: CONTAINERS.a1.addr, containerPort: 80 },
  { endpoint: 'ep-a1', hostIp: HOST_WAN, hostPort: 8081, protocol: 'tcp', containerIp: CONTAINERS.a1.addr, containerPort: 81 },
  { endpoint: 'ep-a2', hostPort: 5353, protocol: 'udp', containerIp: CONTAINERS.a2.addr, containerPort: 53 },
  { endpoint: 'ep-a2', hostPort: 8082, protocol: 'tcp', containerIp: CONTAINERS.a2.addr, containerPort: 80 },
  { endpoint: 'ep-b1', hostPort: 9090, hostPortEnd: 9091, protocol: 'tcp', containerIp: CONTAINERS.b1.addr, containerPort: 90 },
];

let host: Netns, wan: Netns;
const c = {} as Record<ContainerName, Netns>;
const owned: Netns[] = [];
let nf: Nftables;

function nftText(ns: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8' });
}

/** What the peer said before closing; rejects with the socket's error (ETIMEDOUT when dropped). */
async function fetchText(from: Netns, addr: string, port: number): Promise<{ text: string }> {
  const sock = await from.connectTcp({ host: addr, port });
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  await new Promise((r) => sock.on('close', r));
  return { text: Buffer.concat(chunks).toString() };
}

/** A TCP server in `ns` that answers "<name>:<port> saw <peer>" and closes. */
async function serve(ns: Netns, name: string, addr: string, port: number) {
  return ns.listenTcp({ address: addr, port }, (s) => s.end(`${name}:${port} saw ${s.remoteAddress}`));
}

async function withServers<T>(servers: Promise<{ close(): unknown }>[], fn: () => Promise<T>): Promise<T> {
  const up = await Promise.all(servers);
  try {
    return await fn();
  } finally {
    for (const s of up) s.close();
  }
}

beforeAll(async () => {
  assertSandbox();
  for (const n of [HOST, WAN, ...Object.keys(CONTAINERS).map((k) => `np-fw-${k}`)]) await Netns.remove(n, { ifExists: true });
  host = await Netns.create({ name: HOST });
  wan = await Netns.create({ name: WAN });
  owned.push(host, wan);
  await host.exec([
    linkCalls.addVeth({ name: 'h-wan', up: true, peer: { name: 'eth0', netns: wan, up: true } }),
    addrCalls.add({ dev: 'h-wan', address: `${HOST_WAN}/24` }),
    addrCalls.add({ dev: 'h-wan', address: `${HOST_WAN2}/24` }),
    ...(['a', 'b', 'i'] as const).flatMap((n) => [
      linkCalls.addBridge({ name: NETS[n].bridge, up: true }),
      addrCalls.add({ dev: NETS[n].bridge, address: `${gateway(n)}/24` }),
    ]),
  ]);
  await wan.exec([
    addrCalls.add({ dev: 'eth0', address: `${WAN_ADDR}/24` }),
    // The wan can address the internal network directly, to show it is not let in.
    routeCalls.add({ destination: '172.31.3.0/24', gateway: HOST_WAN }),
  ]);
  for (const [name, { net, addr }] of Object.entries(CONTAINERS) as [ContainerName, { net: 'a' | 'b' | 'i'; addr: string }][]) {
    const ns = await Netns.create({ name: `np-fw-${name}` });
    owned.push(ns);
    c[name] = ns;
    const port = `v-${name}`;
    await host.exec([
      linkCalls.addVeth({ name: port, master: NETS[net].bridge, up: true, peer: { name: 'eth0', netns: ns, up: true } }),
      // What the manager does for published ports: a container may come back to itself.
      linkCalls.setBridgePort(port, { hairpin: true }),
    ]);
    await ns.exec([
      addrCalls.add({ dev: 'eth0', address: `${addr}/24` }),
      routeCalls.add({ destination: 'default', gateway: gateway(net) }),
    ]);
    await new Sysctl(ns).set('net.ipv4.tcp_syn_retries', 1);
  }
  await new Sysctl(wan).set('net.ipv4.tcp_syn_retries', 1);
  await new Sysctl(host).set('net.ipv4.ip_forward', 1);
  nf = new Nftables(host);
});

afterAll(async () => {
  for (const ns of owned.splice(0).reverse()) await ns.delete();
});

describe('firewall: table ownership and layout', () => {
  it('claims table inet netplumb as owner + persist, and nft flush ruleset leaves it', async () => {
    expect(await claimTable(host)).toEqual({ owned: true });
    const back = await nf.list({ family: 'inet' });
    expect(back.tables.find((t) => t.name === FIREWALL_TABLE)).toMatchObject({ flags: ['owner', 'persist'] });
    execFileSync('ip', ['netns', 'exec', HOST, 'nft', 'flush', 'ruleset']);
    expect(() => execFileSync('ip', ['netns', 'exec', HOST, 'nft', 'add', 'chain', 'inet', FIREWALL_TABLE, 'intruder'], { stdio: 'pipe' })).toThrow(/Operation not permitted/);
    const after = await nf.list({ family: 'inet' });
    expect(after.chains.map((x) => x.name).sort()).toEqual(back.chains.map((x) => x.name).sort());
    // Claiming again changes nothing: the base rules are there already.
    expect(baseChanges({ current: after }).filter((ch) => ch.kind === 'rule')).toEqual([]);
  });

  it('adds the three networks and publishes ports in one transaction; nft sees one element per port', async () => {
    await nf.apply([...Object.values(NETS).flatMap(networkChanges), ...publishChanges(PORTS)]);
    const text = nftText(HOST, 'list', 'table', 'inet', FIREWALL_TABLE);
    expect(text).toMatch(/"br-a" : jump from-br-a/);
    expect(text).toMatch(/172\.31\.1\.0\/24 : jump nat-br-a/);
    expect(text).toMatch(/udp \. 5353 comment "ep-a2" : 172\.31\.1\.3 \. 53/);
    expect(text).toMatch(/198\.18\.0\.1 \. tcp \. 8081 comment "ep-a1" : 172\.31\.1\.2 \. 81/);
    expect(text).toMatch(/tcp \. 9091 comment "ep-b1" : 172\.31\.2\.2 \. 91/);
    // Loopback sources going into one of our bridges are masqueraded (localhost to a published port).
    expect(text).toMatch(/set bridges \{[^}]*elements = \{ "br-a",\s+"br-b",\s+"br-i" \}/);
    expect(text).toMatch(/ip saddr 127\.0\.0\.0\/8 oifname @bridges masquerade/);
    // No rule per port or per network in the base chains.
    const back = await nf.list({ family: 'inet' });
    const baseRuleCount = back.rules.filter((r) => ['prerouting', 'output', 'postrouting', 'forward'].includes(r.chain)).length;
    expect(baseRuleCount).toBe(4 + 4 + 3 + 3);
  });

  it('readFirewall returns the networks and every published port with its owner', async () => {
    const state = readFirewall(await nf.list({ family: 'inet' }));
    expect(state.networks).toEqual(['br-a', 'br-b', 'br-i']);
    const key = (p: PortMapping) => JSON.stringify([p.hostIp ?? '', p.protocol, p.hostPort, p.containerIp, p.containerPort, p.endpoint]);
    expect(state.ports.map(key).sort()).toEqual(expandPorts(PORTS).map(key).sort());
  });

  it('refuses to publish a port that is already taken', async () => {
    const again = publishChanges([{ ...PORTS[0]!, endpoint: 'ep-other' }]);
    await expect(nf.apply(again)).rejects.toMatchObject({ code: 'EEXIST' });
  });
});

describe('firewall: traffic', () => {
  it('masquerades outbound traffic: the wan sees the host address', async () => {
    await withServers([serve(wan, 'wan', WAN_ADDR, 7000)], async () => {
      expect((await fetchText(c.a1, WAN_ADDR, 7000)).text).toBe(`wan:7000 saw ${HOST_WAN}`);
      expect((await fetchText(c.b1, WAN_ADDR, 7000)).text).toBe(`wan:7000 saw ${HOST_WAN}`);
    });
  });

  it('DNATs a published TCP port from the wan, on every host address', async () => {
    await withServers([serve(c.a1, 'a1', CONTAINERS.a1.addr, 80)], async () => {
      expect((await fetchText(wan, HOST_WAN, 8080)).text).toBe(`a1:80 saw ${WAN_ADDR}`);
      expect((await fetchText(wan, HOST_WAN2, 8080)).text).toBe(`a1:80 saw ${WAN_ADDR}`);
    });
  });

  it('DNATs a port bound to one host address only on that address', async () => {
    await withServers([serve(c.a1, 'a1', CONTAINERS.a1.addr, 81)], async () => {
      expect((await fetchText(wan, HOST_WAN, 8081)).text).toBe(`a1:81 saw ${WAN_ADDR}`);
      await expect(fetchText(wan, HOST_WAN2, 8081)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
  });

  it('DNATs a published UDP port: a datagram goes in and the answer comes back from the host address', async () => {
    const server: UdpSocket = await c.a2.bindUdp({ address: CONTAINERS.a2.addr, port: 53 });
    const client: UdpSocket = await wan.bindUdp({ address: WAN_ADDR });
    try {
      server.on('message', (msg, rinfo) => server.send(Buffer.concat([Buffer.from('a2 got '), msg]), rinfo.port, rinfo.address));
      const reply = new Promise<{ msg: string; from: string; port: number }>((r) =>
        client.once('message', (msg, rinfo) => r({ msg: msg.toString(), from: rinfo.address, port: rinfo.port })));
      client.send('ping', 5353, HOST_WAN);
      expect(await reply).toEqual({ msg: 'a2 got ping', from: HOST_WAN, port: 5353 });
    } finally {
      server.close();
      client.close();
    }
  });

  it('DNATs connections the host itself makes to its own addresses', async () => {
    await withServers([serve(c.a1, 'a1', CONTAINERS.a1.addr, 80), serve(c.b1, 'b1', CONTAINERS.b1.addr, 91)], async () => {
      expect((await fetchText(host, HOST_WAN, 8080)).text).toBe(`a1:80 saw ${HOST_WAN}`);
      expect((await fetchText(host, gateway('b'), 8080)).text).toBe(`a1:80 saw ${gateway('a')}`);
      // A secondary address's local route has the primary as its source.
      expect((await fetchText(host, HOST_WAN2, 9091)).text).toBe(`b1:91 saw ${HOST_WAN}`);
    });
  });

  it('hairpin: a container reaches its own and its neighbour\'s published ports through the host address', async () => {
    await withServers([serve(c.a1, 'a1', CONTAINERS.a1.addr, 80), serve(c.a2, 'a2', CONTAINERS.a2.addr, 80)], async () => {
      expect((await fetchText(c.a1, HOST_WAN, 8080)).text).toBe(`a1:80 saw ${gateway('a')}`);
      expect((await fetchText(c.a2, HOST_WAN, 8080)).text).toBe(`a1:80 saw ${gateway('a')}`);
      expect((await fetchText(c.a1, HOST_WAN, 8082)).text).toBe(`a2:80 saw ${gateway('a')}`);
    });
  });

  it('isolates networks from each other; published ports stay reachable through the host address', async () => {
    await withServers([serve(c.b1, 'b1', CONTAINERS.b1.addr, 90), serve(c.a1, 'a1', CONTAINERS.a1.addr, 80)], async () => {
      // The host side reaches b1 (control), a1 does not, directly.
      expect((await fetchText(host, CONTAINERS.b1.addr, 90)).text).toBe(`b1:90 saw ${gateway('b')}`);
      await expect(fetchText(c.a1, CONTAINERS.b1.addr, 90)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      await expect(fetchText(c.b1, CONTAINERS.a1.addr, 80)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect((await fetchText(c.a1, HOST_WAN, 9090)).text).toBe(`b1:90 saw ${gateway('b')}`);
    });
  });

  it('icc: containers on br-a talk; on br-b (icc=false) they do not, but published ports still answer', async () => {
    await withServers([serve(c.a2, 'a2', CONTAINERS.a2.addr, 80), serve(c.b1, 'b1', CONTAINERS.b1.addr, 90)], async () => {
      expect((await fetchText(c.a1, CONTAINERS.a2.addr, 80)).text).toBe(`a2:80 saw ${CONTAINERS.a1.addr}`);
      await expect(fetchText(c.b2, CONTAINERS.b1.addr, 90)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect((await fetchText(c.b2, HOST_WAN, 9090)).text).toBe(`b1:90 saw ${gateway('b')}`);
    });
  });

  it('internal: i1 reaches nothing outside its bridge, and nothing outside reaches it', async () => {
    await withServers([
      serve(wan, 'wan', WAN_ADDR, 7000), serve(c.a1, 'a1', CONTAINERS.a1.addr, 80), serve(c.i1, 'i1', CONTAINERS.i1.addr, 70),
    ], async () => {
      expect((await fetchText(host, CONTAINERS.i1.addr, 70)).text).toBe(`i1:70 saw ${gateway('i')}`);
      await expect(fetchText(c.i1, WAN_ADDR, 7000)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      await expect(fetchText(c.i1, CONTAINERS.a1.addr, 80)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      await expect(fetchText(c.i1, HOST_WAN, 8080)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      await expect(fetchText(wan, CONTAINERS.i1.addr, 70)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    });
  });

  it('br_netfilter is on: bridged packets reach the inet forward hook with iif and oif the bridge itself', async () => {
    expect(await new Sysctl(host).get('net.bridge.bridge-nf-call-iptables')).toBe('1');
    const t = nft.table('inet', 'np_probe');
    const fwd = nft.chain(t, 'forward', { type: 'filter', hook: 'forward', priority: -10, policy: 'accept' });
    const rules = [
      nft.rule(fwd).match(nft.meta.iifname.eq('br-a'), nft.meta.oifname.eq('br-a'), nft.tcp.dport.eq(80)).counter().build(),
      nft.rule(fwd).match(nft.meta.iifname.eq('v-a1'), nft.tcp.dport.eq(80)).counter().build(),
    ];
    const res = await nf.transaction().addTable(t).addChain(fwd).addRule(rules[0]!).addRule(rules[1]!).commit();
    try {
      await withServers([serve(c.a2, 'a2', CONTAINERS.a2.addr, 80)], () => fetchText(c.a1, CONTAINERS.a2.addr, 80));
      const back = await nf.list({ table: 'np_probe' });
      const packets = (h: number | null) => (back.rules.find((r) => r.handle === h)!.exprs.find((e) => e.type === 'counter') as { packets: number }).packets;
      expect(packets(res.handles[2]!)).toBeGreaterThan(0);
      expect(packets(res.handles[3]!)).toBe(0);
    } finally {
      await nf.transaction().deleteTable(t).commit();
    }
  });
});

describe('firewall: without br_netfilter', () => {
  it('published ports, hairpin and isolation hold; icc=false then needs the bridge ports isolated', async () => {
    const sysctl = new Sysctl(host);
    await sysctl.set('net.bridge.bridge-nf-call-iptables', 0);
    try {
      await withServers([
        serve(c.a1, 'a1', CONTAINERS.a1.addr, 80), serve(c.b1, 'b1', CONTAINERS.b1.addr, 90),
      ], async () => {
        expect((await fetchText(wan, HOST_WAN, 8080)).text).toBe(`a1:80 saw ${WAN_ADDR}`);
        expect((await fetchText(c.a1, HOST_WAN, 8080)).text).toBe(`a1:80 saw ${gateway('a')}`);
        expect((await fetchText(c.a2, HOST_WAN, 8080)).text).toBe(`a1:80 saw ${gateway('a')}`);
        await expect(fetchText(c.a1, CONTAINERS.b1.addr, 90)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
        // Bridged traffic no longer passes the inet hooks: the forward chain cannot stop it...
        expect((await fetchText(c.b2, CONTAINERS.b1.addr, 90)).text).toBe(`b1:90 saw ${CONTAINERS.b2.addr}`);
        // ... the bridge does, when the manager marks the ports isolated.
        await host.exec([linkCalls.setBridgePort('v-b1', { isolated: true }), linkCalls.setBridgePort('v-b2', { isolated: true })]);
        await expect(fetchText(c.b2, CONTAINERS.b1.addr, 90)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
        expect((await fetchText(c.b2, HOST_WAN, 9090)).text).toBe(`b1:90 saw ${gateway('b')}`);
      });
    } finally {
      await host.exec([linkCalls.setBridgePort('v-b1', { isolated: false }), linkCalls.setBridgePort('v-b2', { isolated: false })]);
      await sysctl.set('net.bridge.bridge-nf-call-iptables', 1);
    }
  });
});

describe('firewall: removal', () => {
  it('removeNetworkChanges and unpublishChanges leave nft list ruleset exactly as before', async () => {
    const before = nftText(HOST, 'list', 'ruleset');
    const extra: FirewallNetwork = { bridge: 'br-x', subnets: ['172.31.9.0/24', 'fd31:9::/64'], internal: false, icc: false, masquerade: true, hostBinding: HOST_WAN2 };
    const ports: PortMapping[] = [
      { endpoint: 'ep-x', hostPort: 7100, hostPortEnd: 7102, protocol: 'sctp', containerIp: '172.31.9.2', containerPort: 7100 },
      { endpoint: 'ep-x', hostPort: 7100, protocol: 'tcp', containerIp: 'fd31:9::2', containerPort: 80 },
    ];
    await nf.apply([...networkChanges(extra), ...publishChanges(ports, extra)]);
    const during = nftText(HOST, 'list', 'ruleset');
    expect(during).toMatch(/198\.18\.0\.3 \. sctp \. 7101 comment "ep-x" : 172\.31\.9\.2 \. 7101/);
    expect(during).toMatch(/fd31:9::\/64 : jump nat-br-x/);
    expect(during).toMatch(/tcp \. 7100 comment "ep-x" : fd31:9::2 \. 80/);
    await nf.apply([...unpublishChanges(ports, extra), ...removeNetworkChanges(extra)]);
    expect(nftText(HOST, 'list', 'ruleset')).toBe(before);
  });

  it('a failed transaction leaves nothing behind (a network whose bridge already has chains)', async () => {
    const before = nftText(HOST, 'list', 'ruleset');
    await expect(nf.apply([...publishChanges([{ ...PORTS[0]!, hostPort: 7200 }]), ...networkChanges(NETS.a)])).rejects.toMatchObject({ code: 'EEXIST' });
    expect(nftText(HOST, 'list', 'ruleset')).toBe(before);
  });
});

describe('firewall: a later process takes the table over', () => {
  const NS = 'np-fw-claim';
  let dir: string;

  // Each child process runs the library from a bundle of the TypeScript
  // sources, next to links to the addon build and node_modules.
  function runChild(script: string): { status: number | null; out: string } {
    const file = join(dir, 'lib', 'addon', `child-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(file, `import * as fw from './firewall.mjs';\nimport { Netns, Nftables } from './firewall.mjs';\n${script}`);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  beforeAll(async () => {
    await Netns.remove(NS, { ifExists: true });
    owned.push(await Netns.create({ name: NS }));
    dir = mkdtempSync(join(tmpdir(), 'np-fw-'));
    const root = resolve(import.meta.dirname, '../../..');
    symlinkSync(join(root, 'build'), join(dir, 'build'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'entry.ts'),
      `export * from '${root}/src/model/firewall/index.ts';\nexport { Netns, Nftables } from '${root}/src/index.ts';\n`);
    const { build } = await import('rolldown');
    await build({
      input: join(dir, 'entry.ts'), platform: 'node', external: ['node-gyp-build'],
      output: { file: join(dir, 'lib', 'addon', 'firewall.mjs'), format: 'esm', codeSplitting: false }, logLevel: 'silent',
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the table outlives its owner, orphaned; a second process claims it and finds its networks and ports', async () => {
    const first = runChild(`
      const ns = await Netns.open('${NS}');
      console.log(JSON.stringify(await fw.claimTable(ns)));
      await new Nftables(ns).apply([...fw.networkChanges({ bridge: 'br-c', subnets: ['172.31.7.0/24'], internal: false, icc: true, masquerade: true }),
        ...fw.publishChanges([{ endpoint: 'ep-c', hostPort: 8443, protocol: 'tcp', containerIp: '172.31.7.2', containerPort: 443 }])]);
      process.exit(0);`);
    expect(first).toEqual({ status: 0, out: '{"owned":true}\n' });

    const ns = await Netns.open(NS);
    try {
      const orphan = await new Nftables(ns).list({ family: 'inet' });
      expect(orphan.tables).toEqual([expect.objectContaining({ name: FIREWALL_TABLE, flags: ['persist'] })]);

      writeFileSync(join(dir, 'lib', 'addon', 'third.mjs'), `import * as fw from './firewall.mjs';
        const ns = await fw.Netns.open('${NS}');
        try { await fw.claimTable(ns); console.log('third: claimed'); } catch (e) { console.log('third:', e.name, e.code); }
        process.exit(0);`);
      const second = runChild(`
        const ns = await Netns.open('${NS}');
        console.log(JSON.stringify(await fw.claimTable(ns)));
        const state = fw.readFirewall(await new Nftables(ns).list({ family: 'inet' }));
        console.log(JSON.stringify(state));
        // While this process owns the table, a third one is refused.
        const { spawnSync } = await import('node:child_process');
        const third = spawnSync(process.execPath, [process.argv[1].replace(/child-\\w+/, 'third')], { encoding: 'utf8' });
        console.log(third.stdout.trim());
        process.exit(0);`);
      expect(second.status).toBe(0);
      const [claim, state] = second.out.trim().split('\n');
      expect(JSON.parse(claim!)).toEqual({ owned: true });
      expect(JSON.parse(state!)).toMatchObject({
        networks: ['br-c'],
        ports: [{ endpoint: 'ep-c', hostPort: 8443, protocol: 'tcp', containerIp: '172.31.7.2', containerPort: 443 }],
      });
      expect(second.out).toContain('third: PermissionError EPERM');

      // And this process, after the second exited.
      expect(await claimTable(ns)).toEqual({ owned: true });
      const mine: Ruleset = await new Nftables(ns).list({ family: 'inet' });
      expect(mine.tables[0]).toMatchObject({ flags: ['owner', 'persist'] });
      expect(readFirewall(mine).networks).toEqual(['br-c']);
    } finally {
      ns.close();
    }
  });
});
