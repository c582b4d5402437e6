// engine.sandboxes.exec / spawn: a process inside a sandbox as `docker exec`
// starts it — its namespace (the kernel's answer to `ip addr` inside), its
// hosts and resolv.conf, a joined sandbox in its owner's namespace, host mode
// in the engine's host namespace when that is not this process's — stdio,
// cwd and env as Node's spawn, and PR_SET_PDEATHSIG when asked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, ValidationError } from '../../../src/index.js';
import type { Engine } from '../../../src/model/index.js';
import { assertSandbox } from '../support/witness.js';
import { ChildLib } from './support/child.js';
import { TempState } from './support/engine.js';

const HOST = 'np-proc-host';
let host: Netns;
let engine: Engine;
let state: TempState;

beforeAll(async () => {
  assertSandbox();
  host = await Netns.create({ name: HOST });
  state = await TempState.create('np-proc-');
  engine = await state.open(host, { dns: false });
  await engine.networks.create({ name: 'procnet', subnet: '10.97.0.0/24' });
  await engine.sandboxes.create({ name: 'p1', network: 'procnet', ip: '10.97.0.5', aliases: ['p1.alias'], extraHosts: ['db.example:10.97.0.99'] });
});

afterAll(async () => {
  for (const s of await engine.sandboxes.list()) await engine.sandboxes.remove(s.id, { force: true });
  await engine.networks.remove('procnet').catch(() => undefined);
  await engine.close();
  await host.delete();
  await state.remove();
});

const addresses = (jsonText: string): string[] =>
  (JSON.parse(jsonText) as { addr_info: { local: string }[] }[]).flatMap((l) => l.addr_info.map((a) => a.local)).sort();

describe('engine.sandboxes.exec and spawn', () => {
  it("runs inside the sandbox's namespace with its hosts file, cwd and env", async () => {
    const r = await engine.sandboxes.exec('p1', ['sh', '-c', 'ip -j addr; echo "$X"; pwd; for n in db.example p1.alias; do getent ahostsv4 $n | head -1; done'], { env: { ...process.env, X: 'from-env' }, cwd: '/tmp' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [json, x, cwd, ...hosts] = r.stdout.trim().split('\n');
    const ns = await engine.sandboxes.netns('p1');
    const kernel = (await ns.addresses.list()).map((a) => a.address).sort();
    ns.close();
    expect(addresses(json!)).toEqual(kernel);
    expect(kernel).toContain('10.97.0.5');
    expect([x, cwd]).toEqual(['from-env', '/tmp']);
    expect(hosts.map((h) => h.split(/\s+/)[0])).toEqual(['10.97.0.99', '10.97.0.5']);
  });

  it("runs a container: sandbox in its owner's namespace, and host mode in the engine's host namespace", async () => {
    await engine.sandboxes.create({ name: 'joined', network: 'container:p1' });
    await engine.sandboxes.create({ name: 'onhost', network: 'host' });
    const joined = await engine.sandboxes.exec('joined', ['ip', '-j', 'addr']);
    expect(addresses(joined.stdout)).toContain('10.97.0.5');
    // The engine's host is a namespace of its own here: its bridge is there, this process's namespace has none.
    const onHost = await engine.sandboxes.exec('onhost', ['ip', '-j', 'link']);
    const hostLinks = (await host.links.list()).map((l) => l.name).sort();
    expect((JSON.parse(onHost.stdout) as { ifname: string }[]).map((l) => l.ifname).sort()).toEqual(hostLinks);
    await engine.sandboxes.remove('joined');
    await engine.sandboxes.remove('onhost');
  });

  it("spawns with Node's stdio: input in, output out, its exit status and signal", async () => {
    const child = await engine.sandboxes.spawn('p1', ['sh', '-c', 'read line; echo "got $line"; exit 3']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stdin!.end('hello\n');
    const code = await new Promise((r) => child.on('exit', r));
    expect([code, out]).toEqual([3, 'got hello\n']);
    const killed = await engine.sandboxes.exec('p1', ['sh', '-c', 'kill -KILL $$']);
    expect([killed.code, killed.signal]).toEqual([137, 'SIGKILL']);
    const missing = await engine.sandboxes.exec('p1', ['no-such-program']);
    expect(missing.code).toBe(127);
    await expect(engine.sandboxes.exec('p1', [])).rejects.toBeInstanceOf(ValidationError);
  });

  it('kills a process started with dieWithParent when its parent dies, however it dies', async () => {
    // A parent process that spawns `sleep` in the sandbox with dieWithParent, prints its pid, and is then SIGKILLed.
    const lib = await ChildLib.build();
    try {
      const { child: parent } = lib.start(`
        const host = await Netns.open({ name: args.host });
        const engine = await Engine.open({ host, stateDir: args.stateDir, etcDir: args.etcDir, dns: false });
        const child = await engine.sandboxes.spawn('p1', ['sleep', '1000'], { dieWithParent: true, stdio: 'ignore' });
        console.log(child.pid);
        setInterval(() => {}, 1000);
      `, { host: HOST, stateDir: state.stateDir, etcDir: state.etcDir });
      const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
      expect(() => process.kill(pid, 0)).not.toThrow();
      parent.kill('SIGKILL');
      await new Promise((r) => parent.once('exit', r));
      expect(await gone(pid)).toBe(true);
    } finally {
      lib.cleanup();
    }
  });
});

/** Whether `pid` is gone within a few seconds (the kernel signals it as its parent dies). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
