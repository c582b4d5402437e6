// What goes wrong, and what it leaves: requests refused before the kernel is
// touched (codes 4, 6, 1, 7, 2), an ADD into an interface name that exists,
// an ADD that fails half way in the kernel, DEL in every form a runtime sends
// it, and many ADDs at once from separate processes. After each, the host and
// the state directory are as they were.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns } from '../../../src/index.js';
import { ip, ipJson, nftJson } from '../support/witness.js';
import { CniDriver, PluginError, type Conflist, type Json, type RuntimeConf } from './support/driver.js';
import { CniLab } from './support/lab.js';

let lab: CniLab;
let list: Conflist;

beforeAll(async () => {
  lab = await CniLab.open('cfail');
  list = lab.conflist('cfail', { subnet: '10.92.0.0/24' });
}, 180_000);

afterAll(async () => {
  await lab?.close();
});

/** The plugin's own request, exec'd as a runtime would, with what a test changes. */
function request(d: CniDriver, command: string, conf: Json, rt: Partial<RuntimeConf>, env: Record<string, string> = {}) {
  return d.exec('netplumb', command, conf, rt, env);
}
const conf = (over: Json = {}): Json => ({ ...list.plugins[0], name: list.name, cniVersion: '1.1.0', ...over });

describe('requests refused before the kernel is touched', () => {
  it('answers each with its code on both paths and changes nothing (not even the network)', async () => {
    await lab.pod('cfail-p0');
    const before = await lab.snapshot();
    const rt = lab.rt('c0', 'cfail-p0');
    const cases: [string, Json, Partial<RuntimeConf>, Record<string, string>, number][] = [
      ['ADD', conf(), { containerId: 'c0', ifname: 'eth0' }, {}, 4],
      ['BOGUS', conf(), rt, {}, 4],
      ['ADD', conf(), { ...rt, containerId: '_c0' }, {}, 4],
      ['ADD', conf(), { ...rt, netns: '/run/netns/no-such-pod' }, {}, 4],
      ['ADD', conf(), rt, { CNI_ARGS: 'FOO=1' }, 4],
      ['ADD', conf({ cniVersion: '0.4.0' }), rt, {}, 1],
      ['STATUS', conf({ cniVersion: '1.0.0' }), {}, {}, 1],
      ['ADD', conf({ subnet: '10.92.0.0/33' }), rt, {}, 7],
      ['ADD', conf({ runtimeConfig: { portMappings: [{ hostPort: 70000, containerPort: 80 }] } }), rt, {}, 7],
      ['ADD', conf({ runtimeConfig: { ips: ['10.1.2.3'] } }), rt, {}, 7],
      ['ADD', conf({ isGateway: false }), rt, {}, 2],
      ['GC', conf(), {}, {}, 7],
    ];
    await lab.eachPath(async (d) => {
      for (const [command, c, r, env, code] of cases) {
        const out = await request(d, command, c, r, env);
        expect(out.exitCode, `${command} ${JSON.stringify(c)}`).not.toBe(0);
        const err = JSON.parse(out.stdout) as Json;
        expect(err.code, `${command} ${JSON.stringify(c)} ${out.stdout}`).toBe(code);
        expect(typeof err.msg).toBe('string');
        expect(typeof err.details).toBe('string');
        expect(err.cniVersion).toBe(c.cniVersion);
      }
      if (d === lab.daemon) {
        // The daemon serves one state root: a config naming another is refused.
        const other = await request(d, 'ADD', conf({ stateDir: '/run/some-other-state' }), rt);
        expect(JSON.parse(other.stdout)).toMatchObject({ code: 7 });
        expect(JSON.parse(other.stdout).details).toContain('/run/some-other-state');
      }
      const garbage = await d.exec('netplumb', 'ADD', {}, rt, {});
      expect(JSON.parse(garbage.stdout).code).toBe(7);
      const undecodable = await new CniDriver(d.path, d.cacheDir, { ...d.env }).exec('netplumb', 'ADD', [] as unknown as Json, rt);
      expect(JSON.parse(undecodable.stdout).code).toBe(6);
    });
    expect(await lab.snapshot()).toBe(before);
  });
});

describe('ADD that cannot complete', () => {
  beforeAll(async () => {
    // The network exists from here on: what follows must leave nothing of its own.
    await lab.warmUp(list);
  });

  it('into an interface name the pod already has: fails without touching it; a DEL of that attachment leaves it too', async () => {
    await lab.pod('cfail-p1');
    execFileSync('ip', ['-n', 'cfail-p1', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other']);
    const before = await lab.snapshot();
    const podBefore = ip('cfail-p1', 'link', 'show', 'eth0');
    await lab.eachPath(async (d) => {
      const err = await d.add(list, lab.rt('c1', 'cfail-p1')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PluginError);
      expect((err as PluginError).code).toBe(101);
      expect((err as PluginError).msg).toBe('interface eth0 already exists');
      await d.del(list, lab.rt('c1', 'cfail-p1'));
    });
    expect(ip('cfail-p1', 'link', 'show', 'eth0')).toBe(podBefore);
    expect(await lab.snapshot()).toBe(before);
  });

  it("into a name another network's attachment holds: refused, and its DEL leaves the other attachment working", async () => {
    const other = lab.conflist('cfail-b', { subnet: '10.93.0.0/24', isDefaultGateway: false });
    await lab.pod('cfail-p2');
    await lab.daemon.add(list, lab.rt('c2', 'cfail-p2'));
    const err = await lab.daemon.add(other, lab.rt('c2', 'cfail-p2')).catch((e: unknown) => e);
    expect((err as PluginError).code).toBe(101);
    await lab.daemon.del(other, lab.rt('c2', 'cfail-p2'));
    await lab.daemon.check(list, lab.rt('c2', 'cfail-p2'));
    expect(ip('cfail-p2', 'addr', 'show', 'eth0')).toContain('10.92.0.');
    await lab.daemon.del(list, lab.rt('c2', 'cfail-p2'));
  });

  it('with a host port someone else holds in the map (seen before the kernel, or refused half way in it): everything it did is undone', async () => {
    await lab.pod('cfail-p3');
    // Only while netplumbd is stopped can another writer touch the table it owns; the element then stays across its restart.
    await lab.withoutDaemon(async () => execFileSync('nft', ['add', 'element', 'inet', 'netplumb', 'any_ports4', '{ tcp . 8500 : 192.0.2.99 . 80 }']));
    await lab.eachPath(async (d) => {
      // Taken on each path: while netplumbd is stopped, its table has no owner.
      const before = await lab.snapshot();
      const err = await d.add(list, lab.rt('c3', 'cfail-p3', 'eth0', { portMappings: [{ hostPort: 8501, containerPort: 81 }, { hostPort: 8500, containerPort: 80 }] }))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 101, msg: 'host port already published' });
      expect(ipJson('cfail-p3', 'link', 'show').map((l) => (l as { ifname: string }).ifname)).toEqual(['lo']);
      expect(await lab.snapshot()).toBe(before);
      await d.del(list, lab.rt('c3', 'cfail-p3'));
    });
    await lab.withoutDaemon(async () => execFileSync('nft', ['delete', 'element', 'inet', 'netplumb', 'any_ports4', '{ tcp . 8500 }']));
  });
});

describe('a host port a process on the host listens on', () => {
  it('refuses the ADD on both paths: the pair made early is gone, nothing else changed', async () => {
    await lab.pod('cfail-p4');
    const listener = await Netns.host().listenTcp({ address: '0.0.0.0', port: 8510 });
    try {
      await lab.eachPath(async (d) => {
        const before = await lab.snapshot();
        const err = await d.add(list, lab.rt('c4', 'cfail-p4', 'eth0', { portMappings: [{ hostPort: 8510, containerPort: 80 }] })).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 101, msg: 'host port already published' });
        expect((err as { details: string }).details).toMatch(/^host port 0\.0\.0\.0:8510\/tcp is in use on the host: a process listens on 0\.0\.0\.0:8510\/tcp \(socket inode \d+\)/);
        expect(ipJson('cfail-p4', 'link', 'show').map((l) => (l as { ifname: string }).ifname)).toEqual(['lo']);
        expect(await lab.snapshot()).toBe(before);
        await d.del(list, lab.rt('c4', 'cfail-p4'));
      });
    } finally {
      listener.close();
    }
  });
});

describe('DEL', () => {
  it('releases everything at once (the veth pair in the background) and is idempotent', async () => {
    await lab.pod('cfail-d1');
    const before = await lab.snapshot();
    const rt = lab.rt('d1', 'cfail-d1', 'eth0', { portMappings: [{ hostPort: 8600, containerPort: 80 }] });
    const r = await lab.daemon.add(list, rt);
    const hostEnd = (r.interfaces as Json[])[1]?.name as string;
    await lab.daemon.del(list, rt);
    // Right after DEL: no port element, the host end's bridge port disabled (it forwards nothing), the address
    // free; the end is taken down right after, and the pair goes with the reaper (or the runtime's namespace).
    expect(JSON.stringify(nftJson(undefined, 'list', 'map', 'inet', 'netplumb', 'any_ports4'))).not.toContain('8600');
    const hostLink = () => ipJson<{ flags: string[]; linkinfo?: { info_slave_data?: { state?: string } } }[]>(undefined, '-d', 'link', 'show', hostEnd)[0];
    expect(hostLink()?.linkinfo?.info_slave_data?.state).toBe('disabled');
    while (hostLink()?.flags.includes('UP')) await new Promise((r) => setTimeout(r, 10));
    expect(hostLink()?.linkinfo?.info_slave_data?.state).toBe('disabled');
    await lab.daemon.del(list, rt);
    expect(await lab.snapshot()).toBe(before);
    await lab.daemon.del(list, rt);
  });

  it('succeeds when the namespace is gone, CNI_NETNS is empty and there is no prevResult, as containerd sends it, and frees everything', async () => {
    await lab.eachPath(async (d) => {
      const ns = await lab.pod('cfail-d2');
      const before = await lab.snapshot();
      const rt = lab.rt('d2', 'cfail-d2', 'eth0', { portMappings: [{ hostPort: 8601, containerPort: 80 }] });
      await d.add(list, rt);
      expect((await request(d, 'DEL', conf(), rt)).exitCode).toBe(0);
      await ns.delete();
      for (let i = 0; i < 2; i++) {
        const out = await request(d, 'DEL', conf(), { containerId: 'd2', ifname: 'eth0', netns: '' });
        expect(out).toMatchObject({ exitCode: 0, stdout: '' });
      }
      await lab.removePod('cfail-d2');
      await lab.pod('cfail-d2');
      expect(await lab.snapshot()).toBe(before);
    });
  });

  it('frees an attachment whose namespace vanished before any DEL', async () => {
    const ns = await lab.pod('cfail-d3');
    const before = await lab.snapshot();
    await lab.daemon.add(list, lab.rt('d3', 'cfail-d3', 'eth0', { portMappings: [{ hostPort: 8602, containerPort: 80 }] }));
    await ns.delete();
    await lab.removePod('cfail-d3');
    expect((await request(lab.daemon, 'DEL', conf(), { containerId: 'd3', ifname: 'eth0', netns: '' })).exitCode).toBe(0);
    expect(await lab.snapshot()).toBe(before);
  });

  it('lets the same interface be added again into the same namespace right after (the pair waiting for deletion goes first)', async () => {
    await lab.pod('cfail-r');
    const before = await lab.snapshot();
    const rt = lab.rt('r1', 'cfail-r');
    const first = await lab.daemon.add(list, rt);
    await lab.daemon.del(list, rt);
    const again = await lab.daemon.add(list, { ...rt, containerId: 'r2' });
    expect((again.interfaces as Json[])[2]).toMatchObject({ name: 'eth0', sandbox: '/run/netns/cfail-r' });
    expect((again.interfaces as Json[])[1]?.name).not.toBe((first.interfaces as Json[])[1]?.name);
    expect(ipJson<{ ifname: string }[]>(undefined, 'link', 'show').map((l) => l.ifname)).not.toContain((first.interfaces as Json[])[1]?.name);
    await lab.daemon.del(list, { ...rt, containerId: 'r2' });
    expect(await lab.snapshot()).toBe(before);
  });

  it('succeeds for a container never added and changes nothing', async () => {
    const before = await lab.snapshot();
    await lab.eachPath(async (d) => {
      expect(await request(d, 'DEL', conf(), { containerId: 'never', ifname: 'eth0', netns: '/run/netns/nowhere' })).toMatchObject({ exitCode: 0, stdout: '' });
    });
    expect(await lab.snapshot()).toBe(before);
  });
});

describe('concurrent ADDs', () => {
  // Through the daemon, many shims at once; in-process, many processes taking turns at the state lock.
  it('from many processes at once get distinct addresses and ports; two asking for one port: one wins, the other leaves nothing', async () => {
    await lab.eachPath(async (d) => {
      const before = await lab.snapshot();
      const pods = Array.from({ length: 12 }, (_, i) => `cfail-c${i}`);
      for (const p of pods) await lab.pod(p);
      const rts = pods.map((p, i) => lab.rt(`cc${i}`, p, 'eth0', { portMappings: [{ hostPort: 8700 + i, containerPort: 80 }] }));
      const results = await Promise.all(rts.map((rt) => d.add(list, rt)));
      const addrs = results.map((r) => (r.ips as Json[])[0]?.address);
      expect(new Set(addrs).size).toBe(pods.length);
      const any4 = JSON.stringify(nftJson(undefined, 'list', 'map', 'inet', 'netplumb', 'any_ports4'));
      for (let i = 0; i < pods.length; i++) expect(any4).toContain(String(8700 + i));

      await lab.pod('cfail-x1');
      await lab.pod('cfail-x2');
      const contenders = [lab.rt('x1', 'cfail-x1', 'eth0', { portMappings: [{ hostPort: 8800, containerPort: 80 }] }),
        lab.rt('x2', 'cfail-x2', 'eth0', { portMappings: [{ hostPort: 8800, containerPort: 80 }] })];
      const outcome = await Promise.allSettled([d.add(list, contenders[0]!), d.add(list, contenders[1]!)]);
      expect(outcome.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const lost = outcome.findIndex((o) => o.status === 'rejected');
      expect(((outcome[lost] as PromiseRejectedResult).reason as PluginError).code).toBe(101);
      expect(ipJson(`cfail-x${lost + 1}`, 'link', 'show').map((l) => (l as { ifname: string }).ifname)).toEqual(['lo']);

      await Promise.all(rts.map((rt) => d.del(list, rt)));
      await d.del(list, contenders[0]!);
      await d.del(list, contenders[1]!);
      for (const p of [...pods, 'cfail-x1', 'cfail-x2']) await lab.removePod(p);
      expect(await lab.snapshot()).toBe(before);
    });
  });
});
