// Root qdiscs: a tbf rate limit that real traffic feels, read back by the
// library and by tc(8) as a witness; netem where the kernel has it (its
// bytes are pinned against tc's in native/tests/qdisc_test.cc); undo in plans.
import { execFileSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Netns, NotFoundError, ValidationError, linkCalls, qdiscCalls } from '../../../src/index.js';
import { assertSandbox } from '../support/witness.js';

beforeAll(assertSandbox);

interface TcQdisc {
  kind: string;
  handle: string;
  root?: boolean;
  options?: { rate?: number; burst?: string; delay?: { delay: number; jitter: number }; loss?: number; limit?: number };
}

const A = 'np-qdisc-a';
let a: Netns;
let b: Netns;

const tc = (dev: string): TcQdisc[] =>
  JSON.parse(execFileSync('ip', ['netns', 'exec', A, 'tc', '-j', 'qdisc', 'show', 'dev', dev], { encoding: 'utf8' })) as TcQdisc[];

beforeEach(async () => {
  a = await Netns.create({ name: A });
  b = await Netns.create();
  await a.links.addVeth({ name: 'q0', up: true, addrGenMode: 'none', peer: { name: 'q1', netns: b, up: true, addrGenMode: 'none' } });
  await a.addresses.add({ dev: 'q0', address: '10.77.0.1/24' });
  await b.addresses.add({ dev: 'q1', address: '10.77.0.2/24' });
});
afterEach(async () => {
  await a.delete();
  b.close();
});

/** Sends `bytes` from a to b over TCP; resolves with the seconds it took. */
async function transfer(bytes: number): Promise<number> {
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const server = await b.listenTcp({ address: '10.77.0.2', port: 0 }, (s: Socket) => {
    s.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= bytes) done();
    });
  });
  const port = (server.address() as { port: number }).port;
  const client = await a.connectTcp({ host: '10.77.0.2', port });
  const start = process.hrtime.bigint();
  client.end(Buffer.alloc(bytes, 1));
  await finished;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  client.destroy();
  server.close();
  return seconds;
}

describe('root qdiscs', () => {
  it('limits the rate with tbf, as tc reads it and as traffic feels it, and deletes back to the default', async () => {
    await a.qdiscs.rateLimit({ dev: 'q0', rateBitsPerSecond: 1_600_000, burstBytes: 10_000 });
    const [ours] = (await a.qdiscs.list({ dev: 'q0' })).filter((q) => q.parent === 'root');
    expect(ours).toMatchObject({ type: 'tbf', tbf: { rate: 200_000, burst: 10_000, limit: 20_000 } });
    expect(tc('q0')).toEqual([expect.objectContaining({ kind: 'tbf', root: true, options: expect.objectContaining({ rate: 200_000 }) })]);

    // 300 KB at 200 KB/s with a 10 KB bucket cannot arrive in less than 1.45 s.
    const seconds = await transfer(300_000);
    expect(seconds).toBeGreaterThanOrEqual((300_000 - 10_000) / 200_000);

    expect(await a.qdiscs.delete({ dev: 'q0' })).toBe(true);
    expect(tc('q0').map((q) => q.kind)).toEqual(['noqueue']);
    expect(await a.qdiscs.delete({ dev: 'q0', ifExists: true })).toBe(false);
    await expect(a.qdiscs.delete({ dev: 'q0' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('undoes a qdisc when a later call of the plan fails, putting back the one that was there', async () => {
    await a.qdiscs.rateLimit({ dev: 'q0', rateBitsPerSecond: 8_000_000 });
    const plan = a.plan();
    plan.add(qdiscCalls.rateLimit({ dev: 'q0', rateBitsPerSecond: 800_000 }));
    plan.add(linkCalls.set('no-such-link', { up: true }));
    await expect(plan.run()).rejects.toBeInstanceOf(NotFoundError);
    expect(tc('q0')).toEqual([expect.objectContaining({ kind: 'tbf', options: expect.objectContaining({ rate: 1_000_000 }) })]);

    await a.qdiscs.delete({ dev: 'q0' });
    const again = a.plan();
    again.add(qdiscCalls.rateLimit({ dev: 'q0', rateBitsPerSecond: 800_000 }));
    again.add(linkCalls.set('no-such-link', { up: true }));
    await expect(again.run()).rejects.toBeInstanceOf(NotFoundError);
    expect(tc('q0').map((q) => q.kind)).toEqual(['noqueue']);
  });

  it('refuses bad settings before anything is sent', () => {
    expect(() => qdiscCalls.netem({ dev: 'q0', jitterMs: 5 })).toThrow(ValidationError);
    expect(() => qdiscCalls.netem({ dev: 'q0', lossPercent: 120 })).toThrow(/lossPercent/);
    expect(() => qdiscCalls.netem({ dev: 'q0', delayMs: -1 })).toThrow(/delayMs/);
    expect(() => qdiscCalls.rateLimit({ dev: 'q0', rateBitsPerSecond: 0 })).toThrow(/rateBitsPerSecond/);
    expect(() => qdiscCalls.netem({ delayMs: 10 })).toThrow(/interface/);
  });

  it('delays packets with netem where the kernel has it, and says so where it does not', async (ctx) => {
    try {
      await a.qdiscs.netem({ dev: 'q0', delayMs: 40, lossPercent: 0 });
    } catch (e) {
      // What a kernel without CONFIG_NET_SCH_NETEM answers, typed and with the kernel's own words.
      expect(e).toBeInstanceOf(NotFoundError);
      expect((e as NotFoundError).extack).toMatch(/qdisc kind is unknown/);
      ctx.skip('this kernel has no netem (CONFIG_NET_SCH_NETEM): delay and loss cannot be shown here');
    }
    expect(tc('q0')).toEqual([expect.objectContaining({ kind: 'netem' })]);
    const [ours] = (await a.qdiscs.list({ dev: 'q0' })).filter((q) => q.parent === 'root');
    expect(ours?.netem?.latencyNs).toBe(40_000_000);
    // A connection's handshake crosses q0 once on its way out: at least the delay.
    const server = await b.listenTcp({ address: '10.77.0.2', port: 0 });
    const port = (server.address() as { port: number }).port;
    const start = process.hrtime.bigint();
    const client = await a.connectTcp({ host: '10.77.0.2', port });
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeGreaterThanOrEqual(40);
    client.destroy();
    server.close();
  });
});
