// Namespaces that die and come back as someone else's (issue 10). A sandbox
// record keeps its namespace's cookie (SO_NETNS_COOKIE, unique per boot):
// when the runtime's path, or the pid, names another container's namespace
// later, reconcile and remove change nothing in it; and the engine's own
// namespace cannot be adopted.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, ValidationError } from '../../../src/index.js';
import { Engine } from '../../../src/model/index.js';
import { assertSandbox, ip, ipJson } from '../support/witness.js';
import { audit, kernelState, stateFiles, type Root } from './support/audit.js';
import { freshHost, removeEverything } from './support/engine.js';

const HOST = 'np-id-host';
const RUNTIME = 'np-id-runtime';
let host: Netns;
let engine: Engine;
const scratch = mkdtempSync(join(tmpdir(), 'np-id-'));
const root: Root = { stateDir: join(scratch, 'state'), etcDir: join(scratch, 'etc') };

/** What a container's namespace holds that must survive: its interfaces, addresses and routes. */
function containerView(ns: string): string {
  return JSON.stringify([ipJson(ns, 'addr', 'show'), ipJson(ns, 'route', 'show')]);
}

/** A runtime's namespace as `ip netns add` makes it, with an interface of its own. */
function runtimeNamespace(address: string): void {
  ip(undefined, 'netns', 'add', RUNTIME);
  ip(RUNTIME, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'lan0');
  ip(RUNTIME, 'link', 'set', 'lan0', 'up');
  ip(RUNTIME, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  ip(RUNTIME, 'link', 'set', 'eth0', 'up');
  ip(RUNTIME, 'route', 'add', 'default', 'via', address.replace(/\d+$/, '1'));
}

beforeAll(async () => {
  assertSandbox();
  await Netns.remove(RUNTIME, { ifExists: true });
  ({ host, engine } = await freshHost(HOST, root));
  await engine.networks.create({ name: 'id-net', subnet: '10.80.1.0/24' });
});

afterAll(async () => {
  await removeEverything(engine);
  await engine?.close();
  await Netns.remove(RUNTIME, { ifExists: true });
  await host?.delete();
  rmSync(scratch, { recursive: true, force: true });
});

describe('namespace identity', () => {
  it('a path that names another namespace now: reconcile removes the sandbox and leaves the new namespace as it is', async () => {
    const nsPath = `/run/netns/${RUNTIME}`;
    ip(undefined, 'netns', 'add', RUNTIME);
    const s = await engine.sandboxes.create({ name: 'old', network: 'id-net', netns: { path: nsPath }, publish: ['8600:80'] });
    expect(ipJson<{ ifname: string }[]>(RUNTIME, 'link', 'show').map((l) => l.ifname)).toContain('eth0');

    // The runtime deletes the container, and makes the same path for another one, with an eth0 of its own.
    ip(undefined, 'netns', 'del', RUNTIME);
    runtimeNamespace('10.99.0.5');
    const theirs = containerView(RUNTIME);

    const report = await engine.reconcile();
    expect(report.removedSandboxes).toEqual(['old']);
    expect(containerView(RUNTIME)).toBe(theirs);
    expect(await audit(HOST, [root])).toMatchObject({ leaked: [], broken: [] });
    expect(ipJson<{ ifname: string }[]>(HOST, 'link', 'show').map((l) => l.ifname)).not.toContain(s.networks[0]!.hostIfname);
    ip(undefined, 'netns', 'del', RUNTIME);
  });

  it('a path that names another namespace now: remove leaves the new namespace as it is, connect refuses it', async () => {
    const nsPath = `/run/netns/${RUNTIME}`;
    ip(undefined, 'netns', 'add', RUNTIME);
    await engine.sandboxes.create({ name: 'old2', network: 'id-net', netns: { path: nsPath } });
    ip(undefined, 'netns', 'del', RUNTIME);
    runtimeNamespace('10.99.0.6');
    const theirs = containerView(RUNTIME);
    await engine.networks.create({ name: 'id-net2', subnet: '10.80.2.0/24' });
    await expect(engine.sandboxes.connect('old2', 'id-net2')).rejects.toMatchObject({ code: 'ESTALE' });
    expect(containerView(RUNTIME)).toBe(theirs);
    await engine.sandboxes.remove('old2');
    expect(containerView(RUNTIME)).toBe(theirs);
    await engine.networks.remove('id-net2');
    expect(await audit(HOST, [root])).toMatchObject({ leaked: [], broken: [] });
    ip(undefined, 'netns', 'del', RUNTIME);
  });

  it('a pid that names another namespace now (the process moved on): reconcile changes nothing in it', async () => {
    // A runtime's init: in RUNTIME first, then (same pid) in a namespace of its own with its own eth0.
    ip(undefined, 'netns', 'add', RUNTIME);
    const init: ChildProcess = spawn(
      'ip',
      ['netns', 'exec', RUNTIME, 'sh', '-c',
        'read _; exec unshare --net sh -c "ip link add eth0 type veth peer name lan0 && ip link set lan0 up && ip addr add 10.99.1.5/24 dev eth0 && ip link set eth0 up && ip route add default via 10.99.1.1 && echo moved && exec sleep 600"'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      const pid = init.pid!;
      await engine.sandboxes.create({ name: 'bypid', network: 'id-net', netns: { pid } });
      const moved = new Promise<void>((res) => init.stdout!.on('data', (d: Buffer) => d.toString().includes('moved') && res()));
      init.stdin!.write('go\n');
      await moved;
      const theirs = execIn(pid, 'addr') + execIn(pid, 'route');
      expect(theirs).toContain('10.99.1.5');
      const report = await engine.reconcile();
      expect(report.removedSandboxes).toEqual(['bypid']);
      expect(execIn(pid, 'addr') + execIn(pid, 'route')).toBe(theirs);
      expect(await audit(HOST, [root])).toMatchObject({ leaked: [], broken: [] });
    } finally {
      init.kill('SIGKILL');
      ip(undefined, 'netns', 'del', RUNTIME);
    }
  });

  it("adopting the engine's own namespace, by path or by the pid of a process in it, is refused before anything changes", async () => {
    const holder = spawn('ip', ['netns', 'exec', HOST, 'sleep', '600'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const before = { kernel: kernelState(HOST), state: stateFiles(root) };
      for (const netns of [{ path: `/run/netns/${HOST}` }, { pid: holder.pid! }]) {
        const err = await engine.sandboxes.create({ name: 'self', network: 'id-net', netns }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ValidationError);
        expect(err).toMatchObject({ field: 'netns' });
        expect((err as Error).message).toMatch(/engine's own namespace/);
      }
      expect({ kernel: kernelState(HOST), state: stateFiles(root) }).toEqual(before);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('records the cookie of every namespace it makes or adopts', async () => {
    const s = await engine.sandboxes.create({ name: 'own', network: 'id-net' });
    const ns = await Netns.open(s.netnsName!);
    try {
      const record = readFileSync(join(root.stateDir, 'run', 'sandboxes', `${s.id}.json`), 'utf8');
      expect(JSON.parse(record).netns.cookie).toBe(await ns.cookie());
    } finally {
      ns.close();
    }
    await engine.sandboxes.remove('own');
  });
});

/** `ip -j addr|route show` inside the namespace of `pid` (nsenter), as a string. */
function execIn(pid: number, what: 'addr' | 'route'): string {
  return execFileSync('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-j', what, 'show'], { encoding: 'utf8' });
}
