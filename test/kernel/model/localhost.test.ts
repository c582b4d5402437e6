// Published ports reached from the host through 127.0.0.1, as Docker users
// expect with its userland proxy off: DNAT in output, route_localnet on the
// network's bridge, loopback sources masqueraded into the bridge. Proved with
// bytes between namespaces made here; nothing is left when the network goes.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../../src/index.js';
import type { Engine } from '../../../src/model/index.js';
import { ip, snapshot } from '../support/witness.js';
import { TempState } from './support/engine.js';
import { hostAndWan, type HostAndWan } from './support/topology.js';
import { exchange, serve } from './support/traffic.js';

const HOST = 'np-lo-host';
const WAN = 'np-lo-wan';
const HOST_WAN = '198.51.100.1';
const WAN_ADDR = '198.51.100.2';
const GATEWAY = '172.29.5.1';

let topology: HostAndWan;
let host: Netns;
let wan: Netns;
let engine: Engine;
let state: TempState;
let before: string;

/** The IPv4 conf entries of a namespace (one per interface that has IPv4 configuration). */
function ipv4Confs(ns: string): string[] {
  return execFileSync('ip', ['netns', 'exec', ns, 'ls', '/proc/sys/net/ipv4/conf'], { encoding: 'utf8' }).trim().split(/\s+/);
}

beforeAll(async () => {
  topology = await hostAndWan({ host: HOST, wan: WAN, hostAddress: HOST_WAN, wanAddress: WAN_ADDR });
  ({ host, wan } = topology);
  before = snapshot(HOST);
  state = await TempState.create('np-lo-');
  engine = await state.open(host, { dns: false });
});

afterAll(async () => {
  await engine?.close();
  await topology?.cleanup();
  await state?.remove();
});

describe('published ports from the host via localhost', () => {
  it('127.0.0.1:8080 reaches the sandbox publishing 8080; a port on one non-loopback address does not', async () => {
    await engine.networks.create({ name: 'lo-net', subnet: '172.29.5.0/24' });
    await engine.sandboxes.create({ name: 'web', network: 'lo-net', publish: ['8080:80', `${HOST_WAN}:8081:81`, '127.0.0.2:8082:82'] });
    const ns = await engine.sandboxes.netns('web');
    const servers = await Promise.all([serve(ns, 80, 'web80'), serve(ns, 81, 'web81'), serve(ns, 82, 'web82')]);
    try {
      // Every address: 127.0.0.1 and the rest of 127/8; the container sees the bridge's address.
      expect(await exchange(host, '127.0.0.1', 8080, 'lo')).toBe(`web80 saw ${GATEWAY}: lo`);
      expect(await exchange(host, '127.0.0.5', 8080, 'lo5')).toBe(`web80 saw ${GATEWAY}: lo5`);
      // Published on 127.0.0.2 only: there, and not on 127.0.0.1.
      expect(await exchange(host, '127.0.0.2', 8082, 'lo2')).toBe(`web82 saw ${GATEWAY}: lo2`);
      await expect(exchange(host, '127.0.0.1', 8082)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      // Published on the wan address only: that address works, loopback does not.
      expect(await exchange(host, HOST_WAN, 8081, 'wan')).toMatch(/^web81 saw [\d.]+: wan$/);
      await expect(exchange(host, '127.0.0.1', 8081)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      // The wan still reaches the port published on every address.
      expect(await exchange(wan, HOST_WAN, 8080, 'from wan')).toBe(`web80 saw ${WAN_ADDR}: from wan`);
    } finally {
      for (const s of servers) s.close();
      ns.close();
    }
  });

  it('the bridge has route_localnet; removing the network leaves the ruleset and the sysctls as before', async () => {
    const bridges = ipv4Confs(HOST).filter((n) => n.startsWith('np-') || n.startsWith('br-'));
    expect(bridges).toHaveLength(1);
    const bridge = bridges[0]!;
    const read = (k: string) => execFileSync('ip', ['netns', 'exec', HOST, 'cat', `/proc/sys/net/ipv4/conf/${bridge}/${k}`], { encoding: 'utf8' }).trim();
    expect(read('route_localnet')).toBe('1');
    await engine.sandboxes.remove('web');
    await engine.networks.remove('lo-net');
    expect(ipv4Confs(HOST)).not.toContain(bridge);
    expect(ip(HOST, 'link', 'show')).not.toContain(bridge);
    expect(snapshot(HOST)).toBe(before);
    expect(execFileSync('ip', ['netns', 'exec', HOST, 'nft', 'list', 'ruleset'], { encoding: 'utf8' })).toBe('');
  });
});
