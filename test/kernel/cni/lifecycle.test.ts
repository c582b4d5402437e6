// An attachment's life after ADD, as a runtime drives it: CHECK (passes, then
// says what is missing once something is), several attachments per container,
// a chain with the reference tuning and bandwidth plugins after netplumb, GC
// with the valid attachments, and STATUS (ready, then code 50 once the
// address pool is used up).
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns } from '../../../src/index.js';
import { ip, ipJson } from '../support/witness.js';
import { exchange, serve } from '../model/support/traffic.js';
import { PluginError, type CniDriver, type Conflist, type Json } from './support/driver.js';
import { CniLab } from './support/lab.js';

let lab: CniLab;
let list: Conflist;

beforeAll(async () => {
  lab = await CniLab.open('clife');
  list = lab.conflist('clife', { subnet: '10.94.0.0/24' });
  await lab.warmUp(list);
}, 180_000);

afterAll(async () => {
  await lab?.close();
});

const failure = (p: Promise<unknown>): Promise<PluginError> =>
  p.then(() => {
    throw new Error('expected the plugin to fail');
  }, (e: unknown) => e as PluginError);

describe('CHECK', () => {
  // The firewall's elements can only be taken away while netplumbd is stopped:
  // it owns table inet netplumb while it runs. Those are checked in-process then.
  const breakages: [string, (pod: string, hostEnd: string) => void, RegExp, { owned?: boolean }?][] = [
    ['the host end of the veth', (_pod, hostEnd) => execFileSync('ip', ['link', 'del', hostEnd]), /^veth npv[0-9a-f]{12} \(the host end of eth0\) is missing/],
    ['the address', (pod) => execFileSync('ip', ['-n', pod, 'addr', 'flush', 'dev', 'eth0']), /^address 10\.94\.0\.\d+\/24 is missing from eth0 in \/run\/netns\/clife-k\d/],
    ['the default route', (pod) => execFileSync('ip', ['-n', pod, 'route', 'del', 'default']), /^route default via 10\.94\.0\.1 dev eth0 is missing/],
    ['the port element', () => execFileSync('nft', ['delete', 'element', 'inet', 'netplumb', 'any_ports4', '{ tcp . 8900 }']), /^port element tcp \*:8900 → 10\.94\.0\.\d+:80 is missing from table inet netplumb/, { owned: true }],
  ];
  for (const [i, [what, breakIt, says, { owned = false } = {}]] of breakages.entries())
    it(`passes after ADD, and fails saying so when ${what} is gone; DEL still frees the rest`, async () => {
      const pod = `clife-k${i}`;
      await lab.pod(pod);
      const before = await lab.snapshot();
      const rt = lab.rt(`k${i}`, pod, 'eth0', { portMappings: [{ hostPort: 8900, containerPort: 80 }] });
      const r = await lab.daemon.add(list, rt);
      await lab.eachPath((d) => d.check(list, { ...rt }).then(() => undefined));
      const broken = async (d: CniDriver): Promise<PluginError> => {
        breakIt(pod, (r.interfaces as Json[])[1]?.name as string);
        return failure(d.check(list, rt));
      };
      const err = owned ? await lab.withoutDaemon(() => broken(lab.inProcess)) : await broken(lab.daemon);
      expect(err.code).toBe(100);
      expect(err.msg).toMatch(says);
      expect(err.details).toMatch(says);
      await lab.daemon.del(list, rt);
      expect(await lab.snapshot()).toBe(before);
    });

  it('fails for an attachment netplumb never made, and without prevResult', async () => {
    await lab.pod('clife-none');
    const out = await lab.daemon.exec('netplumb', 'CHECK', { ...list.plugins[0], name: list.name, cniVersion: '1.1.0', prevResult: { cniVersion: '1.1.0' } }, lab.rt('none', 'clife-none'));
    expect(JSON.parse(out.stdout)).toMatchObject({ code: 100, msg: 'eth0 is not attached' });
    const noPrev = await lab.daemon.exec('netplumb', 'CHECK', { ...list.plugins[0], name: list.name, cniVersion: '1.1.0' }, lab.rt('none', 'clife-none'));
    expect(JSON.parse(noPrev.stdout).code).toBe(7);
  });
});

describe('several attachments per container', () => {
  it('puts eth0 on one network and net1 on another, each reachable, each removed on its own', async () => {
    const second = lab.conflist('clife-b', { subnet: '10.95.0.0/24', isDefaultGateway: false, routes: [{ dst: '192.0.2.0/24' }] });
    const ns = await lab.pod('clife-m');
    // Both networks exist before: what is compared is the container's part.
    await lab.warmUp(second);
    const before = await lab.snapshot();
    const a = await lab.daemon.add(list, lab.rt('m', 'clife-m', 'eth0'));
    const b = await lab.withoutDaemon(() => lab.inProcess.add(second, lab.rt('m', 'clife-m', 'net1')));
    expect((b.interfaces as Json[])[2]).toMatchObject({ name: 'net1', sandbox: '/run/netns/clife-m' });
    expect(b.routes).toEqual([{ dst: '192.0.2.0/24', gw: '10.95.0.1' }]);
    expect(ip('clife-m', 'route', 'show')).toMatch(/default via 10\.94\.0\.1 dev eth0[\s\S]*192\.0\.2\.0\/24 via 10\.95\.0\.1 dev net1/);
    const server = await serve(ns, 80, 'pod');
    try {
      for (const r of [a, b]) {
        const addr = ((r.ips as Json[])[0]?.address as string).split('/')[0]!;
        expect(await exchange(Netns.host(), addr, 80, addr)).toMatch(new RegExp(`^pod saw 10\\.9[45]\\.0\\.1: ${addr}$`));
      }
    } finally {
      server.close();
    }
    await lab.withoutDaemon(() => lab.inProcess.del(second, lab.rt('m', 'clife-m', 'net1')));
    expect(ipJson<{ ifname: string }[]>('clife-m', 'link', 'show').map((l) => l.ifname)).toEqual(['lo', 'eth0']);
    await lab.daemon.check(list, lab.rt('m', 'clife-m', 'eth0'));
    await lab.daemon.del(list, lab.rt('m', 'clife-m', 'eth0'));
    expect(await lab.snapshot()).toBe(before);
  });
});

describe('chained with the reference tuning and bandwidth plugins', () => {
  it('hands them a result they build on (1.0.0, negotiated), CHECKs and DELs in reverse, and leaves nothing', async () => {
    const chain = lab.conflist('clife', { subnet: '10.94.0.0/24' }, [
      { type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.arp_announce': '2' }, capabilities: { mac: true } },
      { type: 'bandwidth', capabilities: { bandwidth: true } },
    ]);
    // tuning takes the mac capability here, so netplumb must not.
    chain.plugins[0]!.capabilities = { portMappings: true };
    await lab.pod('clife-t');
    const before = await lab.snapshot();
    const rt = lab.rt('t', 'clife-t', 'eth0', {
      portMappings: [{ hostPort: 8910, containerPort: 80 }],
      mac: '02:00:00:00:91:01',
      bandwidth: { ingressRate: 8_000_000, ingressBurst: 80_000, egressRate: 8_000_000, egressBurst: 80_000 },
    });
    const r = await lab.daemon.add(chain, rt);
    expect(r.cniVersion).toBe('1.0.0');
    const names = (r.interfaces as Json[]).map((i) => i.name as string);
    expect(names.slice(0, 3)).toEqual([expect.stringMatching(/^np-/), expect.stringMatching(/^npv/), 'eth0']);
    expect(names.some((n) => n.startsWith('bwp'))).toBe(true);
    expect((r.interfaces as Json[])[2]?.mac).toBe('02:00:00:00:91:01');
    expect(ipJson<{ address: string }[]>('clife-t', 'link', 'show', 'eth0')[0]?.address).toBe('02:00:00:00:91:01');
    expect(execFileSync('ip', ['netns', 'exec', 'clife-t', 'sysctl', '-n', 'net.ipv4.conf.eth0.arp_announce'], { encoding: 'utf8' }).trim()).toBe('2');
    expect(execFileSync('tc', ['qdisc', 'show', 'dev', names[1]!], { encoding: 'utf8' })).toMatch(/tbf/);
    await lab.daemon.check(chain, rt);
    await lab.daemon.del(chain, rt);
    expect(await lab.snapshot()).toBe(before);
  });
});

describe('GC', () => {
  it('removes the attachments not in cni.dev/valid-attachments, those the runtime forgot too, and keeps the valid one', async () => {
    for (const p of ['a', 'b', 'c', 'd']) await lab.pod(`clife-g${p}`);
    const before = await lab.snapshot();
    const rt = (p: string) => lab.rt(`g${p}`, `clife-g${p}`, 'eth0', { portMappings: [{ hostPort: 8920 + p.charCodeAt(0) - 97, containerPort: 80 }] });
    for (const p of ['a', 'b', 'c', 'd']) await lab.daemon.add(list, rt(p));
    // A runtime that lost its cache of c and d (a restart): only the plugin's own GC can find them.
    for (const p of ['c', 'd']) await fs.rm(`${lab.daemon.cacheDir}/clife-g${p}-eth0.json`);
    await lab.daemon.gc(list, [{ containerID: 'ga', ifname: 'eth0' }]);
    expect(lab.daemon.log.filter((l) => l.command === 'GC').at(-1)?.stdin['cni.dev/valid-attachments']).toEqual([{ containerID: 'ga', ifname: 'eth0' }]);
    await lab.daemon.check(list, rt('a'));
    await lab.settle();
    for (const p of ['b', 'c', 'd']) expect(ipJson('clife-g' + p, 'link', 'show').length, p).toBe(1);
    expect((await lab.engine.sandboxes.list()).map((s) => s.networks[0]?.ipv4)).toHaveLength(1);
    await lab.daemon.del(list, rt('a'));
    expect(await lab.snapshot()).toBe(before);
  });
});

describe('STATUS', () => {
  it('is ready, then answers 50 once every address is taken (and ADD fails with 102), and ready again after a DEL', async () => {
    const small = lab.conflist('clife-s', { subnet: '10.96.1.0/29' });
    await lab.daemon.status(small);
    const pods = ['1', '2', '3', '4', '5'].map((i) => `clife-s${i}`);
    for (const [i, p] of pods.entries()) {
      await lab.pod(p);
      await lab.daemon.add(small, lab.rt(`s${i}`, p));
    }
    const full = await failure(lab.daemon.status(small));
    expect(full.code).toBe(50);
    expect(full.details).toContain('10.96.1.0/29');
    await lab.pod('clife-s6');
    expect((await failure(lab.daemon.add(small, lab.rt('s6', 'clife-s6')))).code).toBe(102);
    await lab.daemon.del(small, lab.rt('s0', pods[0]!));
    await lab.withoutDaemon(() => lab.inProcess.status(small));
    for (const [i, p] of pods.entries()) if (i > 0) await lab.daemon.del(small, lab.rt(`s${i}`, p));
  });
});
