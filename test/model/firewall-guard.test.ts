// A firewall reload wipes the ruleset; an engine with guardFirewall puts
// table inet netplumb back from its records, and the published port carries
// traffic again.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addrCalls, linkCalls, Netns, tcpProbe } from '../../src/index.js';
import { Engine } from '../../src/model/index.js';
import { assertSandbox, nftJson } from '../support/witness.js';
import { execFileSync } from 'node:child_process';

const HOST = 'np-fg-host';
const WAN = 'np-fg-wan';
let host: Netns;
let wan: Netns;
let stateDir: string;

beforeAll(async () => {
  assertSandbox();
  host = await Netns.create({ name: HOST });
  wan = await Netns.create({ name: WAN });
  await host.exec([
    linkCalls.addVeth({ name: 'wan0', up: true, addrGenMode: 'none', peer: { name: 'eth0', netns: wan, up: true, addrGenMode: 'none' } }),
    addrCalls.add({ dev: 'wan0', address: '198.18.7.1/24' }),
  ]);
  await wan.exec([addrCalls.add({ dev: 'eth0', address: '198.18.7.2/24' })]);
  stateDir = await fs.mkdtemp(join(tmpdir(), 'np-fg-'));
});

afterAll(async () => {
  await wan?.delete();
  await host?.delete();
  if (stateDir) await fs.rm(stateDir, { recursive: true, force: true });
});

function ourTable(): boolean {
  return nftJson(HOST, 'list', 'tables').nftables.some((o) => (o as { table?: { name: string } }).table?.name === 'netplumb');
}

describe('firewall guard', () => {
  it('rebuilds the firewall after `nft flush ruleset`, and the published port works again', async () => {
    const engine = await Engine.open({ host, stateDir, etcDir: join(stateDir, 'etc'), dns: false, guardFirewall: true });
    try {
      await engine.networks.create({ name: 'g', subnet: '10.66.0.0/24' });
      await engine.sandboxes.create({ name: 'web', network: 'g', publish: ['8080:80'] });
      const web = await engine.sandboxes.netns('web');
      try {
        const probe = () => tcpProbe(wan, web, { address: '198.18.7.1', listenAddress: '0.0.0.0', port: 80, connectPort: 8080 });
        expect((await probe()).seenFrom).toBe('198.18.7.2');

        execFileSync('ip', ['netns', 'exec', HOST, 'nft', 'flush', 'ruleset']);
        await expect.poll(() => ourTable(), { timeout: 3000 }).toBe(true);
        expect(engine.firewallRepairs).toBe(1);
        expect((await probe()).seenFrom).toBe('198.18.7.2');
      } finally {
        web.close();
      }
      await engine.sandboxes.remove('web');
      await engine.networks.remove('g');
      expect(ourTable()).toBe(false);
      // Its own changes (the table went with the last network) are not repaired.
      expect(engine.firewallRepairs).toBe(1);
    } finally {
      await engine.close();
    }
  });
});
