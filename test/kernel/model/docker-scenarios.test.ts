// Docker's scenarios on the model, each proved with bytes that cross:
// `docker run -p 8080:80`, --net=host, --network=none, --network=container:web,
// --link, a user network with --subnet/--gateway and --ip, `network connect`,
// isolation between networks, internal networks, ICC off, outbound masquerade
// seen at a "wan" namespace, DNAT from the wan to published TCP and UDP ports,
// hairpin, and name resolution between sandboxes on a user network.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindUdp, Netns, routeCalls } from '../../../src/index.js';
import { type Engine } from '../../../src/model/index.js';
import { ConflictError } from '../../../src/core/errors.js';
import { ValidationError } from '../../../src/core/errors.js';
import { addressFromData, buildResponse, parseQuery, RRType } from '../../../src/dns/wire.js';
import { askUdp } from '../../support/dns.js';
import { ip, snapshot } from '../support/witness.js';
import { TempState } from './support/engine.js';
import { hostAndWan, type HostAndWan } from './support/topology.js';
import { exchange, serve } from './support/traffic.js';

const HOST = 'np-ds-host';
const WAN = 'np-ds-wan';
const HOST_WAN = '198.51.100.1';
const WAN_ADDR = '198.51.100.2';

let topology: HostAndWan;
let host: Netns;
let wan: Netns;
let engine: Engine;
let state: TempState;
let before: { host: string; wan: string };

async function sandboxNs(name: string): Promise<Netns> {
  return engine.sandboxes.netns(name);
}

beforeAll(async () => {
  topology = await hostAndWan({ host: HOST, wan: WAN, hostAddress: HOST_WAN, wanAddress: WAN_ADDR });
  ({ host, wan } = topology);
  before = { host: snapshot(HOST), wan: snapshot(WAN) };
  state = await TempState.create('np-ds-');
  engine = await state.open(host, { dns: { upstreams: [{ address: WAN_ADDR, port: 53 }], timeoutMs: 500 } });
});

afterAll(async () => {
  await engine?.close();
  await topology?.cleanup();
  await state?.remove();
});

describe('docker run -p 8080:80 on the default network', () => {
  it('gives eth0 172.17.0.2 with a MAC from the address, a default route, and DNATs the wan and the host to it', async () => {
    const web = await engine.sandboxes.create({ name: 'web', publish: ['8080:80', '5353:53/udp'] });
    expect(web.networks[0]).toMatchObject({ network: 'bridge', ifname: 'eth0', ipv4: '172.17.0.2', mac: '02:42:ac:11:00:02', gateway: '172.17.0.1' });
    const addrs = JSON.parse(ip(web.netnsName, '-j', 'addr', 'show', 'eth0')) as { address: string; addr_info: { local: string; prefixlen: number }[] }[];
    expect(addrs[0]?.address).toBe('02:42:ac:11:00:02');
    expect(addrs[0]?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toContain('172.17.0.2/16');
    expect(ip(web.netnsName, 'route', 'show', 'default')).toContain('via 172.17.0.1 dev eth0');
    const inspect = await engine.networks.inspect('bridge');
    expect(inspect.IPAM.Config).toEqual([{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }]);
    expect(inspect.Containers[web.id]).toMatchObject({ Name: 'web', IPv4Address: '172.17.0.2/16' });

    const ns = await sandboxNs('web');
    const server = await serve(ns, 80, 'web');
    try {
      expect(await exchange(wan, HOST_WAN, 8080, 'from wan')).toBe(`web saw ${WAN_ADDR}: from wan`);
      expect(await exchange(host, HOST_WAN, 8080, 'from host')).toMatch(/^web saw [\d.]+: from host$/);
    } finally {
      server.close();
      ns.close();
    }
  });

  it('DNATs UDP from the wan to the published udp port', async () => {
    const ns = await sandboxNs('web');
    const server = await bindUdp(ns, { address: '0.0.0.0', port: 53 });
    server.on('message', (m, r) => server.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
    const client = await bindUdp(wan, { address: WAN_ADDR, port: 0 });
    try {
      const reply = new Promise<string>((resolve) => client.once('message', (m) => resolve(m.toString())));
      client.send('datagram', 5353, HOST_WAN);
      expect(await reply).toBe('echo:datagram');
    } finally {
      client.close();
      server.close();
      ns.close();
    }
  });

  it('refuses a host port that another sandbox publishes, leaving nothing behind', async () => {
    const namespaces = ip(undefined, 'netns', 'list');
    await expect(engine.sandboxes.create({ name: 'web2', publish: ['8080:80'] })).rejects.toBeInstanceOf(ConflictError);
    expect(ip(undefined, 'netns', 'list')).toBe(namespaces);
    expect((await engine.sandboxes.list()).map((s) => s.name)).toEqual(['web']);
  });

  it('masquerades outbound traffic: the wan sees the host address', async () => {
    const server = await serve(wan, 7000, 'wan', WAN_ADDR);
    const ns = await sandboxNs('web');
    try {
      expect(await exchange(ns, WAN_ADDR, 7000, 'out')).toBe(`wan saw ${HOST_WAN}: out`);
    } finally {
      server.close();
      ns.close();
    }
  });

  it('hairpins: a sandbox reaches its own and its neighbour’s published port through the host address', async () => {
    const other = await engine.sandboxes.create({ name: 'neighbour' });
    const webNs = await sandboxNs('web');
    const otherNs = await sandboxNs('neighbour');
    const server = await serve(webNs, 80, 'web');
    try {
      expect(await exchange(webNs, HOST_WAN, 8080, 'self')).toMatch(/^web saw [\d.]+: self$/);
      expect(await exchange(otherNs, HOST_WAN, 8080, 'neighbour')).toMatch(/^web saw [\d.]+: neighbour$/);
    } finally {
      server.close();
      webNs.close();
      otherNs.close();
      await engine.sandboxes.remove(other.name);
    }
  });
});

describe('network modes', () => {
  it('--net=host uses the host namespace and refuses -p with a clear message', async () => {
    await expect(engine.sandboxes.create({ name: 'h', network: 'host', publish: ['80:80'] })).rejects.toThrow(/host network.*drop -p/);
    const h = await engine.sandboxes.create({ name: 'h', network: 'host' });
    expect(h.mode).toBe('host');
    expect(h.networks).toEqual([]);
    const ns = await sandboxNs('h');
    const server = await serve(ns, 9100, 'host-mode', HOST_WAN);
    try {
      expect(await exchange(wan, HOST_WAN, 9100, 'x')).toBe(`host-mode saw ${WAN_ADDR}: x`);
    } finally {
      server.close();
      ns.close();
      await engine.sandboxes.remove('h');
    }
    // Closing the sandbox's handle left the engine's own open: it still makes sandboxes.
    const after = await engine.sandboxes.create({ name: 'after-host', network: 'none' });
    await engine.sandboxes.remove(after.name);
  });

  it('--network=none has only lo, up', async () => {
    const n = await engine.sandboxes.create({ name: 'lonely', network: 'none' });
    const links = JSON.parse(ip(n.netnsName, '-j', 'link')) as { ifname: string; flags: string[] }[];
    expect(links.map((l) => l.ifname)).toEqual(['lo']);
    expect(links[0]?.flags).toContain('UP');
    await engine.sandboxes.remove('lonely');
    expect(ip(undefined, 'netns', 'list')).not.toContain(n.netnsName);
  });

  it('--network=container:web shares web’s namespace, which lives as long as any user of it', async () => {
    const web = await engine.sandboxes.inspect('web');
    const j = await engine.sandboxes.create({ name: 'sidecar', network: 'container:web' });
    expect(j.netnsPath).toBe(web.netnsPath);
    await expect(engine.sandboxes.create({ name: 'x', network: 'container:web', publish: ['81:81'] })).rejects.toBeInstanceOf(ValidationError);
    // web goes; the sidecar keeps the namespace, its address and its published port.
    await engine.sandboxes.remove('web');
    expect((await engine.sandboxes.list()).map((s) => s.name)).not.toContain('web');
    expect(ip(undefined, 'netns', 'list')).toContain(web.netnsName as string);
    const ns = await sandboxNs('sidecar');
    const server = await serve(ns, 80, 'sidecar');
    try {
      expect(await exchange(wan, HOST_WAN, 8080, 'still')).toBe(`sidecar saw ${WAN_ADDR}: still`);
    } finally {
      server.close();
      ns.close();
    }
    await engine.sandboxes.remove('sidecar');
    expect(ip(undefined, 'netns', 'list')).not.toContain(web.netnsName as string);
    await expect(exchange(wan, HOST_WAN, 8080, 'gone')).rejects.toThrow();
  });
});

describe('user networks', () => {
  it('network create --subnet 172.22.16.0/24 --gateway 172.22.16.1 with --ip 172.22.16.8, --link and network connect', async () => {
    const net = await engine.networks.create({ name: 'front', subnet: '172.22.16.0/24', gateway: '172.22.16.1' });
    expect(net.IPAM.Config).toEqual([{ Subnet: '172.22.16.0/24', Gateway: '172.22.16.1' }]);
    const bridge = net.Options['com.docker.network.bridge.name'] as string;
    expect(ip(HOST, '-br', 'addr', 'show', bridge)).toContain('172.22.16.1/24');
    const db = await engine.sandboxes.create({ name: 'db', network: 'front', ip: '172.22.16.8' });
    expect(db.networks[0]?.ipv4).toBe('172.22.16.8');
    expect(ip(db.netnsName, '-br', 'addr', 'show', 'eth0')).toContain('172.22.16.8/24');

    const app = await engine.sandboxes.create({ name: 'app', network: 'front', links: ['db:database'] });
    const hosts = await fs.readFile(join(state.etcDir, 'netns', app.netnsName as string, 'hosts'), 'utf8');
    expect(hosts).toMatch(/^172\.22\.16\.8\tdatabase .*db$/m);
    expect(hosts).toMatch(new RegExp(`^${app.networks[0]?.ipv4.replace(/\./g, '\\.')}\\t${app.hostname}$`, 'm'));

    const dbNs = await sandboxNs('db');
    const appNs = await sandboxNs('app');
    const server = await serve(dbNs, 5432, 'db');
    try {
      expect(await exchange(appNs, '172.22.16.8', 5432, 'query')).toBe(`db saw ${app.networks[0]?.ipv4}: query`);
    } finally {
      server.close();
    }

    // docker network connect: app gets eth1 on a second network and talks over it.
    await engine.networks.create({ name: 'back', subnet: '172.22.17.0/24' });
    const other = await engine.sandboxes.create({ name: 'cache', network: 'back' });
    const connected = await engine.sandboxes.connect('app', 'back', { aliases: ['api'] });
    const eth1 = connected.networks.find((n) => n.network === 'back');
    expect(eth1?.ifname).toBe('eth1');
    expect(ip(app.netnsName, '-br', 'addr', 'show', 'eth1')).toContain(`${eth1?.ipv4}/24`);
    const cacheNs = await sandboxNs('cache');
    const cacheServer = await serve(cacheNs, 6379, 'cache');
    try {
      expect(await exchange(appNs, other.networks[0]?.ipv4 as string, 6379, 'get')).toBe(`cache saw ${eth1?.ipv4}: get`);
      await engine.sandboxes.disconnect('app', 'back');
      expect(ip(app.netnsName, '-br', 'link')).not.toContain('eth1');
      await expect(exchange(appNs, other.networks[0]?.ipv4 as string, 6379, 'get', 500)).rejects.toThrow();
    } finally {
      cacheServer.close();
      cacheNs.close();
      dbNs.close();
      appNs.close();
    }
  });

  it('two networks cannot reach each other', async () => {
    const dbNs = await sandboxNs('db');
    const cacheNs = await sandboxNs('cache');
    const cache = await engine.sandboxes.inspect('cache');
    const server = await serve(cacheNs, 6380, 'cache');
    try {
      await expect(exchange(dbNs, cache.networks[0]?.ipv4 as string, 6380, 'sneak', 700)).rejects.toThrow(/timed out|ECONNREFUSED|EHOSTUNREACH/);
    } finally {
      server.close();
      dbNs.close();
      cacheNs.close();
    }
  });

  it('resolves the names and aliases of sandboxes on the network, and forwards other names upstream', async () => {
    // The "upstream resolver" lives in the wan namespace: nothing leaves the sandbox.
    const upstream = await bindUdp(wan, { address: WAN_ADDR, port: 53 });
    upstream.on('message', (m, r) => {
      const q = parseQuery(m);
      upstream.send(buildResponse(q, { answers: [{ address: '192.0.2.77', ttl: 60 }] }), r.port, r.address);
    });
    const appNs = await sandboxNs('app');
    const client = await bindUdp(appNs, { address: '0.0.0.0', port: 0 });
    const ask = async (name: string): Promise<string[]> =>
      (await askUdp(client, '172.22.16.1', 53, 0x1234, name, RRType.A)).answers.map((a) => addressFromData(a.data));
    try {
      expect(await ask('db')).toEqual(['172.22.16.8']);
      expect(await ask('DB.')).toEqual(['172.22.16.8']);
      expect(await ask('example.test')).toEqual(['192.0.2.77']);
      // A sandbox made by another engine on the same state (another process, a CLI command) is followed.
      const other = await state.open(host, { dns: false });
      const late = await other.sandboxes.create({ name: 'late', network: 'front', aliases: ['latecomer'] });
      await other.close();
      await expect.poll(() => ask('latecomer'), { timeout: 3000 }).toEqual([late.networks[0]?.ipv4]);
      const resolv = await fs.readFile(join(state.etcDir, 'netns', (await engine.sandboxes.inspect('app')).netnsName as string, 'resolv.conf'), 'utf8');
      expect(resolv).toMatch(/^nameserver 172\.22\.16\.1$/m);
      // The resolved address carries bytes.
      const dbNs = await sandboxNs('db');
      const server = await serve(dbNs, 5433, 'db');
      try {
        const [addr] = await ask('db');
        expect(await exchange(appNs, addr as string, 5433, 'by name')).toMatch(/^db saw .*: by name$/);
      } finally {
        server.close();
        dbNs.close();
      }
    } finally {
      client.close();
      upstream.close();
      appNs.close();
    }
  });

  it('an internal network reaches nothing outside and has no default route', async () => {
    await engine.networks.create({ name: 'vault', subnet: '172.22.18.0/24', internal: true });
    const v = await engine.sandboxes.create({ name: 'secret', network: 'vault' });
    expect(ip(v.netnsName, 'route', 'show', 'default')).toBe('');
    const ns = await sandboxNs('secret');
    await routeCallsDefault(v.netnsName as string, '172.22.18.1');
    const server = await serve(wan, 7001, 'wan', WAN_ADDR);
    try {
      await expect(exchange(ns, WAN_ADDR, 7001, 'leak', 700)).rejects.toThrow();
    } finally {
      server.close();
      ns.close();
    }
  });

  it('ICC off: sandboxes on the network cannot talk to each other, but reach the outside', async () => {
    await engine.networks.create({ name: 'noicc', subnet: '172.22.19.0/24', options: { 'com.docker.network.bridge.enable_icc': 'false' } });
    const a = await engine.sandboxes.create({ name: 'a1', network: 'noicc' });
    const b = await engine.sandboxes.create({ name: 'b1', network: 'noicc' });
    const aNs = await sandboxNs('a1');
    const bNs = await sandboxNs('b1');
    const server = await serve(bNs, 7002, 'b1');
    const wanServer = await serve(wan, 7003, 'wan', WAN_ADDR);
    try {
      await expect(exchange(aNs, b.networks[0]?.ipv4 as string, 7002, 'hi', 700)).rejects.toThrow();
      expect(await exchange(aNs, WAN_ADDR, 7003, 'out')).toBe(`wan saw ${HOST_WAN}: out`);
    } finally {
      server.close();
      wanServer.close();
      aNs.close();
      bNs.close();
    }
    expect(a.networks[0]?.ipv4).not.toBe(b.networks[0]?.ipv4);
  });
});

describe('teardown', () => {
  it('after every sandbox and network is removed, the host and the wan are as they were', async () => {
    for (const s of await engine.sandboxes.list()) await engine.sandboxes.remove(s.name);
    for (const n of await engine.networks.list()) await engine.networks.remove(n.Name);
    // The kernel destroys a deleted namespace (and the veth ends in it) in the background.
    await settled(() => snapshot(HOST) === before.host);
    expect(snapshot(HOST)).toBe(before.host);
    expect(snapshot(WAN)).toBe(before.wan);
    expect(ip(undefined, 'netns', 'list').split('\n').filter((l) => l.startsWith('np-') && !l.startsWith('np-ds-'))).toEqual([]);
  });
});

/** Waits for the kernel's background work to make `done` true, checking every 20 ms, at most 200 times. */
async function settled(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
}

/** A default route added by hand (the way a user might try to escape an internal network). */
async function routeCallsDefault(netnsName: string, gateway: string): Promise<void> {
  const ns = await Netns.open(netnsName);
  try {
    await ns.exec([routeCalls.add({ destination: 'default', gateway })]);
  } finally {
    ns.close();
  }
}
