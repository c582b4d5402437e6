// Faults a test injects, and what the traffic then does: a partition
// (disconnect, reconnect), a link pulled and put back, a slow link (tbf; netem
// where the kernel has it, else a clear skip), a published port dropped from
// the firewall and restored, the networks' DNS stopped and started.
import { execFileSync } from 'node:child_process';
import { connectTcp } from '../../../src/kernel/sockets.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureUnavailableError, Lab, type LabSandbox } from '../../../src/testing/index.js';
import { assertSandbox } from '../support/witness.js';
import { httpServer } from './support.js';

let lab: Lab;
let api: LabSandbox;
let client: LabSandbox;

beforeAll(async () => {
  assertSandbox();
  lab = await Lab.open({ networks: { app: { subnet: '10.125.0.0/24' } } });
  api = await lab.sandbox('api', { publish: ['18082:8080'] });
  client = await lab.sandbox('client');
  await api.serve(httpServer(() => 'ok'), 8080);
});
afterAll(() => lab?.close());

/** Whether a TCP connection from `from` to api:8080 gets through within `ms`. */
async function reaches(from: LabSandbox, ms = 1500): Promise<boolean> {
  try {
    const s = await connectTcp(from.netns, { host: api.address, port: 8080, timeoutMs: ms });
    s.destroy();
    return true;
  } catch {
    return false;
  }
}

describe('faults', () => {
  it('partitions a sandbox off its network and heals it (disconnect, connect)', async () => {
    expect(await reaches(client)).toBe(true);
    const off = await client.disconnect('app');
    expect(off.networks).toEqual([]);
    expect(await reaches(client)).toBe(false);
    const on = await client.connect('app');
    expect(on.networks.map((n) => n.network)).toEqual(['app']);
    expect(await reaches(client)).toBe(true);
  });

  it("pulls a sandbox's link at the host's end and puts it back, its address kept", async () => {
    await api.linkDown();
    const [eth0] = await api.netns.links.list().then((l) => l.filter((x) => x.name === 'eth0'));
    // No carrier inside the sandbox (its peer is down); the address and routes stay.
    expect(eth0?.flags).not.toContain('LOWER_UP');
    expect((await api.netns.addresses.list({ dev: 'eth0' })).map((a) => a.address)).toContain(api.address);
    expect(await reaches(client, 1000)).toBe(false);
    await api.linkUp();
    expect(await reaches(client)).toBe(true);
  });

  it('slows what a sandbox sends to a rate (tbf): a transfer takes at least what the rate allows', async () => {
    await api.impair({ rateBitsPerSecond: 2_000_000 }); // 250 KB/s
    const big = 'x'.repeat(500_000);
    const slowServer = await api.serve(httpServer(() => big), 8081);
    const start = process.hrtime.bigint();
    const body = await (await client.fetch(`http://api:8081/`)).text();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    expect(body.length).toBe(500_000);
    // The default bucket holds a tenth of a second: the rest waits for tokens.
    expect(seconds).toBeGreaterThanOrEqual((500_000 - 25_000) / 250_000);
    await api.restoreLink();
    const qdiscs = (await api.netns.qdiscs.list({ dev: 'eth0' })).map((q) => q.type);
    expect(qdiscs).not.toContain('tbf');
    slowServer.close();
  });

  it('delays and drops with netem where the kernel has it, and throws FeatureUnavailableError where not', async (ctx) => {
    try {
      await api.impair({ delayMs: 50, lossPercent: 0 });
    } catch (e) {
      expect(e).toBeInstanceOf(FeatureUnavailableError);
      expect((e as FeatureUnavailableError).feature).toBe('netem');
      expect((e as Error).message).toMatch(/CONFIG_NET_SCH_NETEM/);
      ctx.skip('this kernel has no netem (CONFIG_NET_SCH_NETEM): delay and loss cannot be shown here');
    }
    const start = process.hrtime.bigint();
    expect(await reaches(client, 5000)).toBe(true); // the SYN-ACK leaves api: 50 ms later
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeGreaterThanOrEqual(50);
    await api.restoreLink();
  });

  it('drops a published port from the firewall (connections refused) and restores it', async () => {
    expect(await (await lab.host.fetch('http://127.0.0.1:18082/')).text()).toBe('ok');
    await api.dropPublishedPort(18082);
    // Witness: nft in the lab's host namespace has no element for the port any more.
    const elements = (): string => JSON.stringify(nftJsonIn(lab.root));
    expect(elements()).not.toMatch(/18082/);
    // A new connection is refused (one already open would stay: conntrack keeps its translation, as in a real reload).
    await expect(lab.host.fetch('http://127.0.0.1:18082/')).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    await api.restorePublishedPort(18082);
    expect(elements()).toMatch(/18082/);
    expect(await (await lab.host.fetch('http://127.0.0.1:18082/')).text()).toBe('ok');
    await expect(api.dropPublishedPort(9999)).rejects.toThrow(/no tcp port published on host port 9999/);
  });

  it("stops the networks' DNS (names no longer resolve) and starts it again", async () => {
    await lab.stopDns();
    await expect(client.resolve('api')).rejects.toThrow(/nothing answers DNS on 10\.125\.0\.1/);
    const getent = await client.exec(['getent', 'hosts', 'api'], { timeoutMs: 20_000 });
    expect(getent.code).not.toBe(0);
    await lab.startDns();
    expect(await client.resolve('api')).toEqual([api.address]);
    expect(await (await client.fetch('http://api:8080/')).text()).toBe('ok');
  });
});

/** `nft -j list ruleset` inside the lab's host namespace. */
function nftJsonIn(root: string): unknown {
  return JSON.parse(execFileSync('nsenter', [`--net=${root}/netns/host`, '--', 'nft', '-j', 'list', 'ruleset'], { encoding: 'utf8' }));
}
