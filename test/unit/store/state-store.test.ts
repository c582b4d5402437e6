import { fork, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateError, ValidationError } from '../../../src/core/errors.js';
import { LockTimeoutError } from '../../../src/core/errors.js';
import { createPool } from '../../../src/addressing/ipam.js';
import { compare, parseAddress } from '../../../src/addressing/ipnet.js';
import { acquireLock, deadLockFiles, processAlive, withLock } from '../../../src/store/lock.js';
import { StateStore, stateDirs } from '../../../src/store/state-store.js';
import { claimStateRoot } from '../../../src/store/daemon-claim.js';
import { transpileTree } from '../fixtures/transpile.js';

let scratch: string;
beforeAll(async () => {
  scratch = await fs.mkdtemp(join(tmpdir(), 'netplumb-state-'));
});
afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid as number;
  await new Promise((r) => child.once('exit', r));
  return pid;
}

describe('stateDirs', () => {
  it("splits runtime and configuration like Docker's, overridable", () => {
    expect(stateDirs({}, {})).toEqual({ runtime: '/run/netplumb', config: '/var/lib/netplumb' });
    expect(stateDirs({}, { NETPLUMB_STATE_DIR: '/tmp/x' })).toEqual({ runtime: '/tmp/x/run', config: '/tmp/x/lib' });
    expect(stateDirs({ config: '/c' }, { NETPLUMB_STATE_DIR: '/tmp/x' })).toEqual({ runtime: '/tmp/x/run', config: '/c' });
  });
});

describe('StateStore', () => {
  it("readKnown keeps a document read before while a stat finds the same file, and sees any writer's change", async () => {
    const dir = join(scratch, 'known');
    const reader = new StateStore(dir);
    const writer = new StateStore(dir);
    await writer.write('networks', 'n1', { name: 'one' });
    // A file changed within the last second is read every time; this one is older once kept.
    await new Promise((r) => setTimeout(r, 1100));
    const first = reader.readKnown<{ name: string }>('networks', 'n1');
    expect(first).toEqual({ name: 'one' });
    // Each read is a document of its own: changing one changes nothing kept.
    (first as { name: string }).name = 'changed here';
    expect(reader.readKnown('networks', 'n1')).toEqual({ name: 'one' });
    // Another store (another process) renames a new file over it: read at once.
    await writer.write('networks', 'n1', { name: 'two' });
    expect(reader.readKnown('networks', 'n1')).toEqual({ name: 'two' });
    // Damaged in place: a StateError, as read() says.
    await fs.writeFile(writer.file('networks', 'n1'), '{"name": ');
    expect(() => reader.readKnown('networks', 'n1')).toThrow(StateError);
    await writer.remove('networks', 'n1');
    expect(reader.readKnown('networks', 'n1')).toBeUndefined();
  });

  it('writes, reads, lists and removes documents', async () => {
    const store = new StateStore(join(scratch, 'docs'));
    expect(await store.read('networks', 'a')).toBeUndefined();
    expect(await store.list('networks')).toEqual([]);
    await store.write('networks', 'b', { n: 2 });
    await store.write('networks', 'a', { n: 1 });
    await store.write('networks', 'a', { n: 3 });
    expect(await store.read('networks', 'a')).toEqual({ n: 3 });
    expect(await store.list('networks')).toEqual(['a', 'b']);
    expect(await store.remove('networks', 'a')).toBe(true);
    expect(await store.remove('networks', 'a')).toBe(false);
    expect(await store.list('networks')).toEqual(['b']);
    // No temp files are left behind.
    expect(await fs.readdir(join(store.dir, 'networks'))).toEqual(['b.json']);
  });

  it('a damaged document is a StateError naming the file and what is wrong; a check can refuse its shape', async () => {
    const store = new StateStore(join(scratch, 'damaged'));
    await store.write('networks', 'a', { n: 1 });
    const file = join(store.dir, 'networks', 'a.json');
    const cases: [string | Buffer, RegExp][] = [
      ['', /it is empty/],
      ['{"n": 1', /cut short/],
      [Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0a]), /not JSON/],
    ];
    for (const [text, problem] of cases) {
      await fs.writeFile(file, text);
      const err = await store.read('networks', 'a').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateError);
      expect(err).toMatchObject({ file, problem: expect.stringMatching(problem) });
    }
    await fs.writeFile(file, 'null\n');
    const check = (doc: unknown) => (doc === null ? 'it holds null' : undefined);
    await expect(store.read('networks', 'a', check)).rejects.toMatchObject({ file, problem: 'it holds null' });
    const moved = await store.quarantine('networks', 'a', join(scratch, 'q'));
    expect(moved).toBe(join(scratch, 'q', 'networks', 'a.json'));
    expect(await store.read('networks', 'a')).toBeUndefined();
  });

  it('a damaged lock file has no live owner: it is taken over', async () => {
    const dir = join(scratch, 'damaged-lock');
    await fs.mkdir(dir, { recursive: true });
    for (const text of ['', 'null\n', 'garbage without a pid', '12']) {
      await fs.writeFile(join(dir, '.lock'), text);
      await expect(withLock(join(dir, '.lock'), () => 'ran', { timeoutMs: 2000 })).resolves.toBe('ran');
    }
  });

  it('refuses names that could escape the directory', async () => {
    const store = new StateStore(join(scratch, 'docs'));
    for (const bad of ['../x', '.hidden', 'a/b', '', 'x.tmp', '-x']) {
      await expect(store.read('networks', bad)).rejects.toThrow(ValidationError);
    }
    await expect(store.list('..')).rejects.toThrow(ValidationError);
  });

  it('updates under the lock', async () => {
    const store = new StateStore(join(scratch, 'upd'));
    await Promise.all(
      Array.from({ length: 20 }, () => store.update<number>('counters', 'c', (n) => (n ?? 0) + 1)),
    );
    expect(await store.read('counters', 'c')).toBe(20);
  });

  it('a held lock: changes queue in this process, take no lock file each, and others wait until it is released', async () => {
    const dir = join(scratch, 'held');
    const store = new StateStore(dir);
    const release = await store.hold();
    const lock = join(dir, '.lock');
    const holder = await fs.readFile(lock, 'utf8');
    expect(holder).toMatch(new RegExp(`^${process.pid} `));
    // Another store on the same directory in this process (the daemon's engine beside its claim) uses the held lock.
    const other = new StateStore(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).update<number>('counters', 'c', (n) => (n ?? 0) + 1)));
    expect(await store.read('counters', 'c')).toBe(20);
    expect(await fs.readFile(lock, 'utf8')).toBe(holder);
    // A second hold in this process leaves the first holder's lock alone.
    await (await other.hold())();
    expect(await fs.readFile(lock, 'utf8')).toBe(holder);
    // What another process's store does: take the lock file, here refused while it is held.
    const err = await acquireLock(lock, { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    await release();
    await release();
    await expect(fs.stat(lock)).rejects.toThrow(/ENOENT/);
    await store.update<number>('counters', 'c', (n) => (n ?? 0) + 1);
    expect(await store.read('counters', 'c')).toBe(21);
  });

  it("a daemon's claim holds the state lock of its runtime directory until it is released", async () => {
    const dir = join(scratch, 'claimed');
    const claim = await claimStateRoot(dir, { sockets: [], version: 'test' });
    const err = await acquireLock(join(dir, '.lock'), { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    await new StateStore(dir, 'boot').update<number>('counters', 'c', () => 1);
    await claim.release();
    await expect(fs.readdir(dir)).resolves.not.toContain('.lock');
    await withLock(join(dir, '.lock'), () => undefined, { timeoutMs: 30 });
  });
});

describe('lock', () => {
  it('excludes, times out with a typed error, and releases', async () => {
    const path = join(scratch, 'l1.lock');
    const held = await acquireLock(path);
    const err = await acquireLock(path, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect((err as LockTimeoutError).holderPid).toBe(process.pid);
    expect((err as Error).message).toMatch(/within 50 ms; it is held by process \d+/);
    await held.release();
    await held.release();
    await withLock(path, () => undefined, { timeoutMs: 50 });
    await expect(fs.stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('takes over a lock whose owner is dead', async () => {
    const path = join(scratch, 'l2.lock');
    const pid = await deadPid();
    expect(processAlive(pid)).toBe(false);
    await fs.writeFile(path, `${pid} deadbeef\n`);
    // Several takers at once: each still gets the lock, one at a time.
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withLock(
          path,
          async () => {
            most = Math.max(most, ++inside);
            await new Promise((r) => setTimeout(r, 5));
            inside--;
          },
          { timeoutMs: 2000 },
        ),
      ),
    );
    expect(most).toBe(1);
    await expect(fs.readdir(scratch)).resolves.not.toContain('l2.lock.takeover');
  });

  it('clears a takeover guard left by a dead taker', async () => {
    const path = join(scratch, 'l3.lock');
    const pid = await deadPid();
    await fs.writeFile(path, `${pid} aaaa\n`);
    await fs.writeFile(`${path}.takeover`, `${pid} bbbb\n`);
    await withLock(path, () => undefined, { timeoutMs: 2000 });
    // This process's owner file stays for its next acquisition; nothing else is left.
    expect((await fs.readdir(scratch)).filter((n) => n.startsWith('l3.'))).toEqual([expect.stringMatching(new RegExp(`^l3\\.lock\\.${process.pid}\\..*\\.owner$`))]);
  });

  it("links one owner file per process: a killed holder's lock is taken over, and only its owner file is listed as dead", async () => {
    const code = await fs.mkdtemp(join(tmpdir(), 'netplumb-code-'));
    try {
      await transpileTree(['src/core', 'src/store', 'test/unit/fixtures/lock-holder.ts'], code);
      const dir = await fs.mkdtemp(join(scratch, 'killed-'));
      const path = join(dir, '.lock');
      // Ours first: the same file (inode) is the lock file at each acquisition.
      const inodes = new Set<bigint>();
      for (let i = 0; i < 3; i++) await withLock(path, async () => void inodes.add((await fs.stat(path, { bigint: true })).ino));
      expect(inodes.size).toBe(1);
      const child = fork(join(code, 'test/unit/fixtures/lock-holder.js'), [path], { stdio: 'inherit' });
      await new Promise((r) => child.once('message', r));
      expect((await fs.readFile(path, 'utf8')).startsWith(`${child.pid} `)).toBe(true);
      expect(await acquireLock(path, { timeoutMs: 30 }).catch((e: unknown) => e)).toBeInstanceOf(LockTimeoutError);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const theirs = (await fs.readdir(dir)).filter((n) => n.startsWith(`.lock.${child.pid}.`) && n.endsWith('.owner'));
      expect(theirs).toHaveLength(1);
      expect(deadLockFiles(dir)).toEqual([join(dir, theirs[0] as string)]);
      await withLock(path, () => undefined, { timeoutMs: 2000 });
      // Someone removed our owner file: the next acquisition makes another.
      for (const n of await fs.readdir(dir)) if (n.includes(`.${process.pid}.`)) await fs.unlink(join(dir, n));
      await withLock(path, () => undefined, { timeoutMs: 2000 });
      expect((await fs.readdir(dir)).filter((n) => n.includes(`.${process.pid}.`))).toHaveLength(1);
    } finally {
      await fs.rm(code, { recursive: true, force: true });
    }
  });

  it('two processes allocating 200 addresses each at once get 400 distinct ones', async () => {
    const code = await fs.mkdtemp(join(tmpdir(), 'netplumb-code-'));
    try {
      await transpileTree(['src/core', 'src/addressing', 'src/store', 'test/unit/fixtures/alloc-worker.ts'], code);
      const dir = join(scratch, 'race');
      const store = new StateStore(dir);
      await store.write('networks', 'pool', createPool({ subnet: '10.20.0.0/16' }));
      const worker = join(code, 'test/unit/fixtures/alloc-worker.js');
      const children = ['a', 'b'].map((owner) => fork(worker, [dir, '200', owner], { stdio: 'inherit' }));
      await Promise.all(children.map((c) => new Promise((r) => c.once('message', r))));
      const results = children.map(
        (c) =>
          new Promise<string[]>((res, rej) => {
            c.once('message', (m) => res((m as { got: string[] }).got));
            c.once('exit', (status) => (status === 0 ? undefined : rej(new Error(`worker exited ${status}`))));
          }),
      );
      for (const c of children) c.send('go');
      const [a, b] = (await Promise.all(results)) as [string[], string[]];
      expect(a).toHaveLength(200);
      expect(b).toHaveLength(200);
      expect(new Set([...a, ...b]).size).toBe(400);
      // Each took the lock by its own owner file, and removed it when it exited.
      expect((await fs.readdir(dir)).filter((n) => n.endsWith('.owner'))).toEqual([]);
      const pool = await store.read<{ allocated: Record<string, string> }>('networks', 'pool');
      expect(Object.keys(pool?.allocated ?? {})).toHaveLength(400);
      // The two really ran at once: their addresses interleave in allocation order.
      const owners = Object.entries(pool?.allocated ?? {})
        .sort(([x], [y]) => compare(parseAddress(x), parseAddress(y)))
        .map(([, o]) => o[0]);
      expect(owners.filter((o, i) => i > 0 && o !== owners[i - 1]).length).toBeGreaterThan(0);
    } finally {
      await fs.rm(code, { recursive: true, force: true });
    }
  });
});
