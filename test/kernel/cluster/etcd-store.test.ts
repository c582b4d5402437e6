// The etcd store (through etcd's JSON gateway) against Debian's etcd-server,
// started by the test on the sandbox's loopback with data under a temporary
// directory: keys, transactions, leases that end, a watch that survives
// etcd restarting and asks for a fresh read after a compaction, endpoints
// tried in turn, and the store's address in every failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStoreError } from '../../../src/core/errors.js';
import { EtcdStore } from '../../../src/cluster/etcd/store.js';
import type { WatchEvent } from '../../../src/cluster/store.js';
import { assertSandbox } from '../support/witness.js';
import { eventually } from './support/witness.js';

const EP = 'http://127.0.0.1:2379';
let dir: string;
let etcd: ChildProcess | undefined;

async function startEtcd(): Promise<void> {
  etcd = spawn('etcd', ['--name', 'one', '--data-dir', join(dir, 'data'), '--listen-client-urls', EP, '--advertise-client-urls', EP,
    '--listen-peer-urls', 'http://127.0.0.1:2380', '--logger', 'zap', '--log-outputs', join(dir, 'etcd.log')], { stdio: 'ignore' });
  await eventually('etcd answers', async () => {
    try {
      return (await fetch(`${EP}/health`)).ok;
    } catch {
      return false;
    }
  }, 20_000);
}

async function stopEtcd(): Promise<void> {
  const p = etcd;
  etcd = undefined;
  if (!p || p.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}

beforeAll(async () => {
  assertSandbox();
  dir = mkdtempSync(join(tmpdir(), 'np-etcd-'));
  await startEtcd();
}, 30_000);

afterAll(async () => {
  await stopEtcd();
  rmSync(dir, { recursive: true, force: true });
});

describe('etcd store', () => {
  const store = new EtcdStore('etcd://127.0.0.1:2379', [EP]);

  it('puts, gets, ranges by prefix and deletes', async () => {
    await store.put('/np/a/1', 'one');
    await store.put('/np/a/2', 'two');
    await store.put('/np/b', 'other');
    const { kvs, revision } = await store.range('/np/a/');
    expect(kvs.map((k) => [k.key, k.value])).toEqual([['/np/a/1', 'one'], ['/np/a/2', 'two']]);
    expect(revision).toBeGreaterThan(0);
    expect(await store.get('/np/b')).toEqual({ key: '/np/b', value: 'other' });
    expect(await store.delete('/np/a/', { prefix: true })).toBe(2);
    expect(await store.get('/np/a/1')).toBeUndefined();
  });

  it('applies a transaction only when its conditions hold', async () => {
    expect(await store.txn([{ key: '/np/t', absent: true }], [{ put: '/np/t', value: '1' }, { put: '/np/u', value: 'x' }])).toBe(true);
    expect(await store.txn([{ key: '/np/t', absent: true }], [{ put: '/np/t', value: '2' }])).toBe(false);
    expect(await store.txn([{ key: '/np/t', value: '1' }], [{ put: '/np/t', value: '3' }, { delete: '/np/u' }])).toBe(true);
    expect((await store.get('/np/t'))?.value).toBe('3');
    expect(await store.get('/np/u')).toBeUndefined();
  });

  it('lets a lease\'s keys go with it when it is not kept alive', async () => {
    const kept = await store.grant(2);
    const dropped = await store.grant(2);
    await store.put('/np/l/kept', '1', { lease: kept });
    await store.put('/np/l/dropped', '1', { lease: dropped });
    expect((await store.get('/np/l/kept'))?.lease).toBe(kept);
    await eventually('the unrenewed lease ends', async () => {
      expect(await store.keepAlive(kept)).toBe(true);
      return (await store.get('/np/l/dropped')) === undefined;
    }, 15_000);
    expect(await store.get('/np/l/kept')).toBeDefined();
    expect(await store.keepAlive(dropped)).toBe(false);
    await store.revoke(kept);
    expect(await store.get('/np/l/kept')).toBeUndefined();
    await store.revoke(kept);
  });

  it('watches a prefix from a revision, through an etcd restart, without losing a change', async () => {
    const { revision } = await store.range('/np/w/');
    const seen: WatchEvent[] = [];
    const errors: Error[] = [];
    const w = store.watch('/np/w/', revision, { events: (e) => seen.push(...e), reset: () => errors.push(new Error('reset')), error: (e) => errors.push(e) });
    try {
      await store.put('/np/w/1', 'a');
      await store.put('/np/x', 'not watched');
      await eventually('first event', () => seen.length === 1);
      await stopEtcd();
      await startEtcd();
      await store.put('/np/w/2', 'b');
      await store.delete('/np/w/1');
      await eventually('events after the restart', () => seen.length === 3, 20_000);
      expect(seen).toEqual([
        { type: 'put', key: '/np/w/1', value: 'a' },
        { type: 'put', key: '/np/w/2', value: 'b' },
        { type: 'delete', key: '/np/w/1' },
      ]);
      expect(errors.some((e) => e.message === 'reset')).toBe(false);
    } finally {
      w.close();
    }
  }, 60_000);

  it('asks for a fresh read when etcd compacted past where the watch starts', async () => {
    const { revision } = await store.range('/np/');
    await store.put('/np/c', '1');
    await store.put('/np/c', '2');
    const r = await fetch(`${EP}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(revision + 2), physical: true }) });
    expect(r.ok).toBe(true);
    let resets = 0;
    const w = store.watch('/np/', revision, { events: () => undefined, reset: () => resets++ });
    try {
      await eventually('reset', () => resets === 1);
    } finally {
      w.close();
    }
  });

  it('tries the next endpoint when one does not answer, and names the store when none does', async () => {
    const two = new EtcdStore('etcd://127.0.0.1:2999,127.0.0.1:2379', ['http://127.0.0.1:2999', EP]);
    expect((await two.get('/np/t'))?.value).toBe('3');
    const none = new EtcdStore('etcd://127.0.0.1:2999', ['http://127.0.0.1:2999'], { timeoutMs: 500 });
    const err = await none.get('/np/t').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterStoreError);
    expect(err).toMatchObject({ store: 'etcd://127.0.0.1:2999', message: expect.stringMatching(/cannot reach the cluster store etcd:\/\/127\.0\.0\.1:2999 \(http:\/\/127\.0\.0\.1:2999: ECONNREFUSED\)/) });
  });
});
