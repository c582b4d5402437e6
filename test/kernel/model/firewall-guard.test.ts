// A firewall reload wipes the ruleset; an engine with guardFirewall puts
// table inet netplumb back from its records, and the published port carries
// traffic again.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpProbe } from '../../../src/index.js';
import { nftJson } from '../support/witness.js';
import { TempState } from './support/engine.js';
import { hostAndWan, type HostAndWan } from './support/topology.js';

const HOST = 'np-fg-host';
let topology: HostAndWan;
let state: TempState;

beforeAll(async () => {
  topology = await hostAndWan({ host: HOST, wan: 'np-fg-wan', hostAddress: '198.18.7.1', wanAddress: '198.18.7.2' });
  state = await TempState.create('np-fg-');
});

afterAll(async () => {
  await topology?.cleanup();
  await state?.remove();
});

function ourTable(): boolean {
  return nftJson(HOST, 'list', 'tables').nftables.some((o) => (o as { table?: { name: string } }).table?.name === 'netplumb');
}

describe('firewall guard', () => {
  it('rebuilds the firewall after `nft flush ruleset`, and the published port works again', async () => {
    const engine = await state.open(topology.host, { dns: false, guardFirewall: true });
    try {
      await engine.networks.create({ name: 'g', subnet: '10.66.0.0/24' });
      await engine.sandboxes.create({ name: 'web', network: 'g', publish: ['8080:80'] });
      const web = await engine.sandboxes.netns('web');
      try {
        const probe = () => tcpProbe(topology.wan, web, { address: '198.18.7.1', listenAddress: '0.0.0.0', port: 80, connectPort: 8080 });
        expect((await probe()).seenFrom).toBe('198.18.7.2');

        execFileSync('ip', ['netns', 'exec', HOST, 'nft', 'flush', 'ruleset']);
        // The repair is counted once its transaction and the state lock are done.
        await expect.poll(() => engine.firewallRepairs, { timeout: 3000 }).toBe(1);
        expect(ourTable()).toBe(true);
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
