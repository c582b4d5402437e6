// Whose turn it is to change a state root in one process: one holder runs at
// a time; a holder parked while its kernel plan runs lets creates run beside
// it, never an exclusive change; a parked holder comes back before anyone
// queued after it; the lock file stays held across all of it and goes with
// the last holder.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockTimeoutError } from '../../../src/core/errors.js';
import { acquireLock } from '../../../src/store/lock.js';
import { StateStore } from '../../../src/store/state-store.js';
import { Turns } from '../../../src/store/turns.js';

let scratch: string;
beforeAll(async () => {
  scratch = await fs.mkdtemp(join(tmpdir(), 'netplumb-turns-'));
});
afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

/** A promise and the function that settles it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** Lets every queued callback run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('Turns', () => {
  it('runs one holder at a time, in order', async () => {
    const turns = new Turns();
    const log: string[] = [];
    const run = (name: string, kind: 'exclusive' | 'beside-parked') =>
      turns.run(kind, async () => {
        log.push(`${name} in`);
        await settle();
        log.push(`${name} out`);
      });
    await Promise.all([run('a', 'exclusive'), run('b', 'beside-parked'), run('c', 'exclusive')]);
    expect(log).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
    // Nobody is left running or parked: an exclusive holder gets its turn at once.
    expect(await turns.run('exclusive', async () => 'ran')).toBe('ran');
  });

  it('lets a beside-parked holder run while one is parked, holds an exclusive one back until none is, and brings the parked one back first', async () => {
    const turns = new Turns();
    const log: string[] = [];
    const kernel = gate();
    await turns.enter('beside-parked');
    log.push('create 1 writes');
    const parked = turns.park('s1', kernel.promise).then(() => {
      log.push('create 1 back');
      expect(turns.isParked('s1')).toBe(false);
      turns.leave();
    });
    expect(turns.isParked('s1')).toBe(true);
    const exclusive = turns.run('exclusive', async () => log.push('remove'));
    // Queued behind the exclusive one: it waits too, so that the exclusive one is not starved.
    const later = turns.run('beside-parked', async () => log.push('create 3'));
    await settle();
    expect(log).toEqual(['create 1 writes']);
    kernel.open();
    await Promise.all([parked, exclusive, later]);
    expect(log).toEqual(['create 1 writes', 'create 1 back', 'remove', 'create 3']);
    // Nobody is left running or parked: an exclusive holder gets its turn at once.
    expect(await turns.run('exclusive', async () => 'ran')).toBe('ran');
  });

  it('a beside-parked holder ahead in the queue runs while another is parked', async () => {
    const turns = new Turns();
    const log: string[] = [];
    const kernel = gate();
    await turns.enter('beside-parked');
    const second = turns.run('beside-parked', async () => log.push(`create 2 runs, create 1 parked: ${turns.isParked('s1')}`));
    const first = turns.park('s1', kernel.promise).then(() => turns.leave());
    await second;
    kernel.open();
    await first;
    expect(log).toEqual(['create 2 runs, create 1 parked: true']);
  });

  it('a parked holder whose work fails gets its turn back before the failure reaches it', async () => {
    const turns = new Turns();
    await turns.enter('beside-parked');
    let running = false;
    const other = turns.enter('beside-parked').then(async () => {
      running = true;
      await settle();
      running = false;
      turns.leave();
    });
    const err = await turns.park('s1', Promise.reject(new Error('plan failed'))).catch((e: unknown) => {
      expect(running).toBe(false);
      return e;
    });
    expect((err as Error).message).toBe('plan failed');
    turns.leave();
    await other;
    // Nobody is left running or parked: an exclusive holder gets its turn at once.
    expect(await turns.run('exclusive', async () => 'ran')).toBe('ran');
  });
});

describe('StateStore.park', () => {
  it('keeps the lock file while a parked change waits, shares it with changes that run beside it, and lets it go with the last', async () => {
    const dir = join(scratch, 'park');
    const store = new StateStore(dir);
    const lock = join(dir, '.lock');
    const kernel = gate();
    const atPark = gate();
    let holder = '';
    const first = store.locked(
      async () => {
        holder = await fs.readFile(lock, 'utf8');
        await store.write('records', 'a', { pending: true });
        atPark.open();
        await store.park('a', kernel.promise);
        await store.write('records', 'a', { pending: false });
      },
      { besideParked: true },
    );
    await atPark.promise;
    expect(store.parked('a')).toBe(true);
    // A create beside it: the same lock file, not taken again.
    await store.locked(
      async () => {
        expect(await fs.readFile(lock, 'utf8')).toBe(holder);
        expect(await store.read('records', 'a')).toEqual({ pending: true });
        await store.write('records', 'b', {});
      },
      { besideParked: true },
    );
    // Another process meanwhile: refused, the lock file is still held.
    expect(await acquireLock(lock, { timeoutMs: 30 }).catch((e: unknown) => e)).toBeInstanceOf(LockTimeoutError);
    // An exclusive change waits for the parked one to finish.
    const exclusive = store.locked(async () => store.read('records', 'a'));
    await settle();
    kernel.open();
    await first;
    expect(await exclusive).toEqual({ pending: false });
    expect(store.parked('a')).toBe(false);
    await expect(fs.stat(lock)).rejects.toThrow(/ENOENT/);
  });
});
