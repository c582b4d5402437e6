// Several owners on one host never touch each other (issue 10): two engines
// with different state roots share a host namespace and its table inet
// netplumb. Each one's reconcile and teardown leave the other's namespaces,
// bridges, veths, chains and published ports alone (the other's traffic
// still flows); the table lives while either has a network; a host port the
// other publishes, one a host process listens on, and an address that is not
// the host's are ConflictErrors before anything changes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, Netns } from '../../../src/index.js';
import { Engine } from '../../../src/model/index.js';
import { ownerOf } from '../../../src/model/state/owner.js';
import { assertSandbox } from '../support/witness.js';
import { audit, kernelState, stateFiles, type Root } from './support/audit.js';
import { exchange, serve } from './support/traffic.js';
import { removeEverything } from './support/engine.js';

const HOST = 'np-ow-host';
let host: Netns;
const scratch = mkdtempSync(join(tmpdir(), 'np-ow-'));
const A: Root = { stateDir: join(scratch, 'a', 'state'), etcDir: join(scratch, 'a', 'etc') };
const B: Root = { stateDir: join(scratch, 'b', 'state'), etcDir: join(scratch, 'b', 'etc') };
let a: Engine;
let b: Engine;

const rootOf = (r: Root): string => ownerOf({ runtime: join(r.stateDir, 'run'), config: join(r.stateDir, 'lib') }).root;

function table(): string {
  return execFileSync('ip', ['netns', 'exec', HOST, 'nft', 'list', 'table', 'inet', 'netplumb'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** B's sandbox answers through its published port, from the host. */
async function bAnswers(port = 8200): Promise<string> {
  const ns = await b.sandboxes.netns('b-web');
  const srv: Server = await serve(ns, 80, 'b-web');
  try {
    return await exchange(host, '10.79.2.1', port, 'hi');
  } finally {
    srv.close();
    ns.close();
  }
}

beforeAll(async () => {
  assertSandbox();
  await Netns.remove(HOST, { ifExists: true });
  host = await Netns.create({ name: HOST });
  a = await Engine.open({ host, ...A, dns: false });
  b = await Engine.open({ host, ...B, dns: false });
  await a.networks.create({ name: 'a-net', subnet: '10.79.1.0/24' });
  await b.networks.create({ name: 'b-net', subnet: '10.79.2.0/24' });
  await a.sandboxes.create({ name: 'a-web', network: 'a-net', publish: ['8100:80'] });
  await b.sandboxes.create({ name: 'b-web', network: 'b-net', publish: ['8200:80'] });
});

afterAll(async () => {
  for (const e of [a, b]) await removeEverything(e);
  await a?.close();
  await b?.close();
  await host?.delete();
  rmSync(scratch, { recursive: true, force: true });
});

describe('two state roots on one host', () => {
  it('marks each owner in the table and on its links', async () => {
    const text = table();
    expect(text).toContain(`comment "${rootOf(A)}"`);
    expect(text).toContain(`comment "${rootOf(B)}"`);
    const found = await audit(HOST, [A, B], { traffic: true });
    expect(found).toMatchObject({ leaked: [], broken: [] });
    expect(found.sandboxes.sort()).toEqual(['a-web', 'b-web']);
  });

  it("one's reconcile leaves the other's namespace, bridge, veths, chains and ports alone", async () => {
    const before = kernelState(HOST);
    const ra = await a.reconcile();
    const rb = await b.reconcile();
    for (const r of [ra, rb]) expect([r.removedLinks, r.removedNamespaces, r.removedSandboxes, r.rolledBack]).toEqual([[], [], [], []]);
    expect(kernelState(HOST)).toBe(before);
    expect(await bAnswers()).toBe('b-web saw 10.79.2.1: hi');
  });

  it("a host port the other owner publishes is a ConflictError naming it, and nothing changes", async () => {
    const before = { kernel: kernelState(HOST), a: stateFiles(A) };
    const err = await a.sandboxes.create({ name: 'a-clash', network: 'a-net', publish: ['8200:80'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ reason: 'port-in-use', owner: rootOf(B) });
    expect((err as Error).message).toContain(`published by the netplumb state root ${rootOf(B)}`);
    expect({ kernel: kernelState(HOST), a: stateFiles(A) }).toEqual(before);
  });

  it('a host port a process on the host listens on is a ConflictError before anything changes; random ports avoid it', async () => {
    const listener = await host.listenTcp({ address: '0.0.0.0', port: 8300 });
    try {
      const before = { kernel: kernelState(HOST), a: stateFiles(A) };
      const err = await a.sandboxes.create({ name: 'a-busy', network: 'a-net', publish: ['8300:80'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect(err).toMatchObject({ reason: 'port-in-use' });
      expect((err as Error).message).toMatch(/in use on the host: a process listens on 0\.0\.0\.0:8300\/tcp/);
      expect({ kernel: kernelState(HOST), a: stateFiles(A) }).toEqual(before);
      // A random host port from a range that holds only the busy port and one more takes the free one.
      const narrow = await Engine.open({ host, ...A, dns: false, ephemeralPorts: { start: 8300, end: 8301 } });
      try {
        for (let i = 0; i < 3; i++) {
          const s = await narrow.sandboxes.create({ name: 'a-random', network: 'a-net', publish: ['80'] });
          expect(s.ports.map((p) => p.hostPort)).toEqual([8301]);
          await narrow.sandboxes.remove('a-random');
        }
      } finally {
        await narrow.close();
      }
    } finally {
      listener.close();
    }
  });

  it('an address that is not the host\'s is a ConflictError before anything changes', async () => {
    const before = { kernel: kernelState(HOST), a: stateFiles(A) };
    const err = await a.sandboxes.create({ name: 'a-far', network: 'a-net', publish: ['192.0.2.7:8400:80'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ reason: 'address-not-local' });
    expect({ kernel: kernelState(HOST), a: stateFiles(A) }).toEqual(before);
  });

  it("a bridge name the other owner's network has is a ConflictError naming it", async () => {
    const bridge = (await b.networks.inspect('b-net')).Options['com.docker.network.bridge.name']!;
    const before = { kernel: kernelState(HOST), a: stateFiles(A) };
    const err = await a.networks.create({ name: 'a-copy', subnet: '10.79.3.0/24', bridge }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ reason: 'name-in-use', owner: rootOf(B) });
    expect({ kernel: kernelState(HOST), a: stateFiles(A) }).toEqual(before);
  });

  it("removing one owner's last network keeps the table, and the other's published port works", async () => {
    await a.sandboxes.remove('a-web');
    await a.networks.remove('a-net');
    expect(table()).not.toContain(`comment "${rootOf(A)}"`);
    expect(table()).toContain(`comment "${rootOf(B)}"`);
    expect(await bAnswers()).toBe('b-web saw 10.79.2.1: hi');
    expect(await audit(HOST, [A, B], { traffic: true })).toMatchObject({ leaked: [], broken: [], sandboxes: ['b-web'] });
    // And the table goes with the last network of the last owner.
    await b.sandboxes.remove('b-web');
    await b.networks.remove('b-net');
    expect(() => table()).toThrow();
    expect(await audit(HOST, [A, B])).toMatchObject({ leaked: [], broken: [] });
  });
});
