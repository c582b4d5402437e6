// The dir:// cluster store against a real directory: keys as files, the
// transaction's conditions, leases that end (with a clock the test moves),
// and a watch that reports what changed — including keys whose lease ended.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirStore } from '../../../src/cluster/dir-store.js';
import type { WatchEvent } from '../../../src/cluster/store.js';

let root: string;
let now: number;
let store: DirStore;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'np-dirstore-'));
  now = 1_000_000;
  store = new DirStore(`dir://${root}`, root, { pollMs: 20, now: () => now });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const waitFor = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('dir:// store', () => {
  it('keeps each key as a file holding its value, and ranges by prefix', async () => {
    await store.put('/netplumb/v1/networks/ov1', '{"a":1}');
    await store.put('/netplumb/v1/networks/ov2', '{"a":2}');
    await store.put('/netplumb/v1/other', 'x');
    expect(readFileSync(join(root, 'netplumb/v1/networks/ov1.json'), 'utf8')).toBe('{"a":1}');
    const { kvs, revision } = await store.range('/netplumb/v1/networks/');
    expect(kvs.map((k) => [k.key, k.value])).toEqual([['/netplumb/v1/networks/ov1', '{"a":1}'], ['/netplumb/v1/networks/ov2', '{"a":2}']]);
    expect(revision).toBe(3);
    expect(await store.delete('/netplumb/v1/networks/', { prefix: true })).toBe(2);
    expect((await store.range('/netplumb/')).kvs.map((k) => k.key)).toEqual(['/netplumb/v1/other']);
  });

  it('reads a record written by hand', async () => {
    mkdirSync(join(root, 'netplumb/v1/networks'), { recursive: true });
    writeFileSync(join(root, 'netplumb/v1/networks/static.json'), '{"id":"s"}');
    expect(await store.get('/netplumb/v1/networks/static')).toEqual({ key: '/netplumb/v1/networks/static', value: '{"id":"s"}' });
  });

  it('applies a transaction only when every condition holds', async () => {
    expect(await store.txn([{ key: '/k', absent: true }], [{ put: '/k', value: '1' }])).toBe(true);
    expect(await store.txn([{ key: '/k', absent: true }], [{ put: '/k', value: '2' }])).toBe(false);
    expect(await store.txn([{ key: '/k', value: '2' }], [{ put: '/k', value: '3' }])).toBe(false);
    expect(await store.txn([{ key: '/k', value: '1' }], [{ put: '/k', value: '3' }, { put: '/j', value: 'x' }])).toBe(true);
    expect((await store.range('/')).kvs.map((k) => `${k.key}=${k.value}`)).toEqual(['/j=x', '/k=3']);
  });

  it('takes a lease\'s keys with it when it is revoked or runs out, and refuses renewing an ended lease', async () => {
    const a = await store.grant(5);
    const b = await store.grant(5);
    await store.put('/a', '1', { lease: a });
    await store.put('/b', '1', { lease: b });
    await store.put('/keep', '1');
    expect((await store.get('/a'))?.lease).toBe(a);
    await store.revoke(a);
    expect(await store.get('/a')).toBeUndefined();
    now += 4000;
    expect(await store.keepAlive(b)).toBe(true);
    now += 4000;
    expect(await store.get('/b')).toBeDefined();
    now += 2000;
    expect(await store.get('/b')).toBeUndefined();
    expect(await store.keepAlive(b)).toBe(false);
    expect((await store.range('/')).kvs.map((k) => k.key)).toEqual(['/keep']);
    await expect(store.put('/c', '1', { lease: b })).rejects.toThrow(/lease/);
  });

  it('watches a prefix from a range: puts, deletes and ended leases, in order', async () => {
    const lease = await store.grant(2);
    await store.put('/w/leased', '1', { lease });
    const { revision } = await store.range('/w/');
    const seen: WatchEvent[] = [];
    let resets = 0;
    const w = store.watch('/w/', revision, { events: (e) => seen.push(...e), reset: () => resets++ });
    try {
      await store.put('/w/x', '1');
      await store.put('/outside', '1');
      await waitFor(() => seen.length >= 1);
      await store.put('/w/x', '2');
      await waitFor(() => seen.length >= 2);
      await store.delete('/w/x');
      await waitFor(() => seen.length >= 3);
      now += 3000;
      await waitFor(() => seen.length >= 4);
      expect(seen).toEqual([
        { type: 'put', key: '/w/x', value: '1' },
        { type: 'put', key: '/w/x', value: '2' },
        { type: 'delete', key: '/w/x' },
        { type: 'delete', key: '/w/leased' },
      ]);
      expect(resets).toBe(0);
    } finally {
      w.close();
    }
  });

  it('asks for a fresh range when watched from a revision it did not hand out', async () => {
    let resets = 0;
    const w = store.watch('/w/', 99, { events: () => undefined, reset: () => resets++ });
    await waitFor(() => resets > 0);
    w.close();
    expect(resets).toBe(1);
  });
});
