import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Netns, type EventStream, type OverrunEvent } from '../../../src/index.js';
import { Addresses, addrCalls } from '../../../src/rtnl/addr.js';
import { Routes } from '../../../src/rtnl/route.js';
import { Neighbours } from '../../../src/rtnl/neigh.js';
import { Links } from '../../../src/rtnl/link.js';
import { rtnlEvents, type RtnlEvent } from '../../../src/rtnl/events.js';
import { assertSandbox, ip } from '../support/witness.js';

beforeAll(assertSandbox);

let ns: Netns;
beforeEach(async () => {
  ns = await Netns.create();
  // No dummy driver here: a veth pair with both ends up stands in for one.
  await new Links(ns).addVeth({ name: 'd0', up: true, peer: { name: 'd0p', up: true } });
});
afterEach(() => {
  ns.close();
});

type Ev = RtnlEvent | OverrunEvent;

// A next() that lost a race with a timeout stays pending and would take the
// following event, so each stream keeps its one pending next() between reads.
const pending = new WeakMap<EventStream<RtnlEvent>, Promise<IteratorResult<Ev>>>();
async function nextWithin(stream: EventStream<RtnlEvent>, ms: number): Promise<Ev | null> {
  const p = pending.get(stream) ?? stream.next();
  pending.set(stream, p);
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p, new Promise<null>((res) => (timer = setTimeout(() => res(null), ms)))]);
  clearTimeout(timer);
  if (r === null) return null;
  pending.delete(stream);
  return r.done ? null : r.value;
}

/** Reads events until `done` says so (or fails after `ms`). */
async function collect(stream: EventStream<RtnlEvent>, done: (seen: Ev[]) => boolean, ms = 3000): Promise<Ev[]> {
  const seen: Ev[] = [];
  const deadline = Date.now() + ms;
  while (!done(seen)) {
    const left = deadline - Date.now();
    if (left <= 0) {
      const tail = seen.slice(-8).map((e) => ('kind' in e ? `${e.kind}:${e.action}` : e.type));
      throw new Error(`timed out after ${seen.length} events; last: ${tail.join(' ')}`);
    }
    const e = await nextWithin(stream, left);
    if (e) seen.push(e);
  }
  return seen;
}

/** Reads until nothing has arrived for `quietMs`. */
async function drain(stream: EventStream<RtnlEvent>, quietMs = 300): Promise<number> {
  let n = 0;
  while (await nextWithin(stream, quietMs)) n++;
  return n;
}

describe('rtnetlink events', () => {
  it('reports addresses, routes, neighbours and links as typed events', async () => {
    const stream = await rtnlEvents(ns, { link: true, address: true, route: true, neighbour: true });
    try {
      await new Addresses(ns).add({ dev: 'd0', address: '10.5.0.1/24' });
      await new Routes(ns).add({ destination: '10.55.0.0/16', gateway: '10.5.0.254' });
      await new Neighbours(ns).add({ dev: 'd0', address: '10.5.0.9', lladdr: '02:00:00:00:05:09' });
      await new Addresses(ns).delete({ dev: 'd0', address: '10.5.0.1/24' });
      await new Links(ns).addVeth({ name: 'e0', peer: { name: 'e0p' } });
      const seen = await collect(stream, (s) =>
        s.some((e) => 'kind' in e && e.kind === 'link' && e.name === 'e0'),
      );
      const addr = seen.find((e): e is Extract<RtnlEvent, { kind: 'address' }> => 'kind' in e && e.kind === 'address' && e.action === 'new');
      expect(addr).toMatchObject({ family: 4, address: '10.5.0.1', prefixLength: 24, cidr: '10.5.0.1/24', scope: 'global' });
      expect(seen).toContainEqual(expect.objectContaining({ kind: 'route', action: 'new', destination: '10.55.0.0/16', gateway: '10.5.0.254', table: 254 }));
      expect(seen).toContainEqual(expect.objectContaining({ kind: 'neighbour', action: 'new', family: 4, address: '10.5.0.9', lladdr: '02:00:00:00:05:09', state: ['permanent'] }));
      expect(seen).toContainEqual(expect.objectContaining({ kind: 'address', action: 'del', cidr: '10.5.0.1/24' }));
      // Deleting the address takes its routes with it.
      expect(seen).toContainEqual(expect.objectContaining({ kind: 'route', action: 'del', destination: '10.5.0.0/24' }));
      expect(seen.some((e) => 'type' in e && e.type === 'overrun')).toBe(false);
    } finally {
      stream.close();
    }
  });

  it('delivers only the kinds asked for, IPv6 included', async () => {
    const stream = await rtnlEvents(ns, { address: true });
    try {
      await new Routes(ns).add({ destination: '10.66.0.0/16', dev: 'd0' });
      await new Addresses(ns).add({ dev: 'd0', address: 'fd00:5::1/64', flags: { nodad: true } });
      const seen = await collect(stream, (s) => s.some((e) => 'kind' in e && e.kind === 'address' && e.family === 6 && e.address === 'fd00:5::1'));
      expect(seen.every((e) => 'kind' in e && e.kind === 'address')).toBe(true);
    } finally {
      stream.close();
    }
  });

  it('reports an overrun when events outrun the reader, then keeps delivering', async () => {
    // A named namespace, so that the witness can watch the plan's progress
    // while the JS thread is blocked.
    const named = await Netns.create({ name: 'np-overrun' });
    try {
      await new Links(named).addVeth({ name: 'd0', up: true, peer: { name: 'd0p', up: true } });
      const stream = await rtnlEvents(named, { address: true, route: true });
      try {
        // The event socket's buffer is 4 MiB (rmem_max allowing): some 11,000
        // small notifications. Each pair below makes four (address and local
        // route, new and del): 20,000 in all.
        const plan = named.plan();
        for (let i = 0; i < 5000; i++) {
          const a = `10.${100 + (i >> 8)}.${i & 255}.1/32`;
          plan.add(addrCalls.add({ dev: 'd0', address: a }));
          plan.add(addrCalls.delete({ dev: 'd0', address: a }));
        }
        plan.add(addrCalls.add({ dev: 'd0', address: '10.254.254.254/32' }));
        const running = plan.run();
        // Keep the JS thread, which reads the event socket, blocked until the
        // worker thread has made every change, so the socket's buffer overflows.
        const deadline = Date.now() + 20000;
        while (!ip('np-overrun', 'addr', 'show', 'dev', 'd0').includes('10.254.254.254') && Date.now() < deadline)
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        await running;
        const seen = await collect(stream, (s) => s.some((e) => 'type' in e && e.type === 'overrun'), 5000);
        expect(seen.at(-1)).toEqual({ type: 'overrun' });
        // After the overrun the stream still works. The kernel drops new events
        // until the reader has emptied the queue, so read what is left first.
        await drain(stream);
        await new Addresses(named).add({ dev: 'd0', address: '10.9.9.9/24' });
        await collect(stream, (s) => s.some((e) => 'kind' in e && e.kind === 'address' && e.address === '10.9.9.9'));
      } finally {
        stream.close();
      }
    } finally {
      await named.delete();
    }
  }, 30000);
});
