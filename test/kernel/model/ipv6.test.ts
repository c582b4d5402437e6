// IPv6 on the model, end to end, each proved with bytes that cross: two
// sandboxes on one dual-stack network, outbound masquerade seen at a "wan"
// namespace, DNAT from the wan to a port published on every address,
// isolation between two IPv6 networks, and `--ip6`. The wan link has IPv6
// addresses without DAD and no route to any container subnet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../../src/index.js';
import type { Engine } from '../../../src/model/index.js';
import { ip, ipJson, snapshot } from '../support/witness.js';
import { TempState } from './support/engine.js';
import { hostAndWan, type HostAndWan } from './support/topology.js';
import { exchange, serve } from './support/traffic.js';

const HOST = 'np-v6-host';
const WAN = 'np-v6-wan';
const HOST_WAN = '198.51.100.1';
const WAN_ADDR = '198.51.100.2';
const HOST_WAN6 = 'fd5e::1';
const WAN6 = 'fd5e::2';

let topology: HostAndWan;
let wan: Netns;
let engine: Engine;
let state: TempState;
let before: { host: string; wan: string };

/** Runs `fn` with a server on `port` in sandbox `name`, closing both after. */
async function withServer<T>(name: string, port: number, fn: () => Promise<T>): Promise<T> {
  const ns = await engine.sandboxes.netns(name);
  const server = await serve(ns, port, name, '::');
  try {
    return await fn();
  } finally {
    server.close();
    ns.close();
  }
}

async function fromSandbox<T>(name: string, fn: (ns: Netns) => Promise<T>): Promise<T> {
  const ns = await engine.sandboxes.netns(name);
  try {
    return await fn(ns);
  } finally {
    ns.close();
  }
}

beforeAll(async () => {
  topology = await hostAndWan({
    host: HOST,
    wan: WAN,
    hostAddress: HOST_WAN,
    wanAddress: WAN_ADDR,
    ipv6: { hostAddress: HOST_WAN6, wanAddress: WAN6 },
  });
  wan = topology.wan;
  before = { host: snapshot(HOST), wan: snapshot(WAN) };
  state = await TempState.create('np-v6-');
  engine = await state.open(topology.host, { dns: false });
  await engine.networks.create({ name: 'v6a', subnet: '172.29.6.0/24', ipv6: { subnet: 'fd00:1::/64' } });
  await engine.networks.create({ name: 'v6b', subnet: '172.29.7.0/24', ipv6: { subnet: 'fd00:2::/64' } });
  await engine.sandboxes.create({ name: 'a1', network: 'v6a', publish: ['8080:80', `[${HOST_WAN6}]:8081:81`] });
  await engine.sandboxes.create({ name: 'a2', network: 'v6a', ip6: 'fd00:1::99' });
  await engine.sandboxes.create({ name: 'b1', network: 'v6b' });
});

afterAll(async () => {
  await engine?.close();
  await topology?.cleanup();
  await state?.remove();
});

describe('IPv6 networks', () => {
  it('gives sandboxes an IPv6 address (the one asked for with --ip6) and a default route via the IPv6 gateway', async () => {
    const a1 = await engine.sandboxes.inspect('a1');
    const a2 = await engine.sandboxes.inspect('a2');
    expect(a1.networks[0]).toMatchObject({ network: 'v6a', ipv6: 'fd00:1::2' });
    expect(a2.networks[0]).toMatchObject({ network: 'v6a', ipv6: 'fd00:1::99' });
    const addrs = ipJson<{ addr_info: { family: string; local: string; prefixlen: number }[] }[]>(a2.netnsName, 'addr', 'show', 'eth0');
    expect(addrs[0]?.addr_info.filter((a) => a.family === 'inet6').map((a) => `${a.local}/${a.prefixlen}`)).toContain('fd00:1::99/64');
    expect(ip(a2.netnsName, '-6', 'route', 'show', 'default')).toContain('via fd00:1::1 dev eth0');
  });

  it('container ↔ container over IPv6 on one network', async () => {
    await withServer('a1', 80, async () => {
      expect(await fromSandbox('a2', (ns) => exchange(ns, 'fd00:1::2', 80, 'hi'))).toBe('a1 saw fd00:1::99: hi');
    });
  });

  it('container → wan over IPv6 is masqueraded: the wan sees the host’s IPv6 address', async () => {
    const server = await serve(wan, 7000, 'wan', WAN6);
    try {
      expect(await fromSandbox('a1', (ns) => exchange(ns, WAN6, 7000, 'out'))).toBe(`wan saw ${HOST_WAN6}: out`);
      expect(await fromSandbox('b1', (ns) => exchange(ns, WAN6, 7000, 'out'))).toBe(`wan saw ${HOST_WAN6}: out`);
    } finally {
      server.close();
    }
  });

  it('wan → a port published on every address, over IPv6 and IPv4', async () => {
    await withServer('a1', 80, async () => {
      expect(await exchange(wan, HOST_WAN6, 8080, 'v6 in')).toBe(`a1 saw ${WAN6}: v6 in`);
      expect(await exchange(wan, HOST_WAN, 8080, 'v4 in')).toBe(`a1 saw ::ffff:${WAN_ADDR}: v4 in`);
    });
  });

  it('wan → a port published on one IPv6 host address: there only', async () => {
    await withServer('a1', 81, async () => {
      expect(await exchange(wan, HOST_WAN6, 8081, 'v6 one')).toBe(`a1 saw ${WAN6}: v6 one`);
      await expect(exchange(wan, HOST_WAN, 8081)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
  });

  it('two IPv6 networks cannot reach each other; the published port stays reachable through the host address', async () => {
    await withServer('a1', 80, async () => {
      await expect(fromSandbox('b1', (ns) => exchange(ns, 'fd00:1::2', 80))).rejects.toThrow(/timed out/);
      // Masqueraded on the way out of v6b, so a1 sees its own gateway (as with IPv4).
      expect(await fromSandbox('b1', (ns) => exchange(ns, HOST_WAN6, 8080, 'via host'))).toBe('a1 saw fd00:1::1: via host');
    });
    await withServer('b1', 90, async () => {
      await expect(fromSandbox('a1', (ns) => exchange(ns, 'fd00:2::2', 90))).rejects.toThrow(/timed out/);
    });
  });

  it('removing every sandbox and network leaves the host and the wan as they were', async () => {
    for (const s of ['a1', 'a2', 'b1']) await engine.sandboxes.remove(s);
    for (const n of ['v6a', 'v6b']) await engine.networks.remove(n);
    // IPv6 forwarding stays on, like ip_forward (the host may route for others);
    // with it the kernel keeps the subnet-router anycast address of each prefix.
    expect(snapshot(HOST).replace('anycast fd5e:: dev wan0 table local proto kernel metric 0 pref medium\n', '')).toBe(before.host);
    expect(snapshot(WAN)).toBe(before.wan);
  });
});
