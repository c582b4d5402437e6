// One daemon per state root, owning the firewall for as long as it lives
// and handing it to the next: a second daemon is refused; `nft flush
// ruleset` leaves the published ports working; kill -9 in the middle of 100
// creates from concurrent clients, then a restart: every sandbox a client
// was told exists exists and carries traffic, and nothing else does (no
// namespace, host veth, address or port element of a create that did not
// complete).
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, Netns } from '../../../src/index.js';
import { exchange, serve } from '../model/support/traffic.js';
import { hostAndWan, type HostAndWan } from '../model/support/topology.js';
import { ip, ipJson, nftJson } from '../support/witness.js';
import { DAEMON, ensureBuilt, ROOT, TestDaemon } from './support/daemon.js';
import { emptyReport } from '../../../src/model/reconcile/report.js';

const HOST = 'npd-lc-host';
let topology: HostAndWan;
let daemon: TestDaemon;

beforeAll(async () => {
  ensureBuilt();
  topology = await hostAndWan({ host: HOST, wan: 'npd-lc-wan', hostAddress: '198.18.10.1', wanAddress: '198.18.10.2' });
  daemon = new TestDaemon({ netns: HOST });
  await daemon.start();
}, 180_000);

afterAll(async () => {
  await daemon?.cleanup();
  await topology?.cleanup();
});

/**
 * table inet netplumb as nft 1.0.6 shows it: `flags owner` (and the owner's
 * process name) while a socket owns it; it cannot name `persist`, so an
 * orphaned table shows no owner.
 */
function table(): 'owned' | 'orphaned' | 'absent' {
  let text: string;
  try {
    text = execFileSync('ip', ['netns', 'exec', HOST, 'nft', 'list', 'table', 'inet', 'netplumb'], { encoding: 'utf8', stdio: 'pipe' });
  } catch {
    return 'absent';
  }
  return /flags owner/.test(text) ? 'owned' : 'orphaned';
}

describe('one daemon per state root', () => {
  it('refuses a second daemon on the same state, saying which one owns it', async () => {
    const second = spawn('nsenter', [`--net=/run/netns/${HOST}`, '--', process.execPath, DAEMON, '--state-dir', daemon.stateDir, '-H', `unix://${daemon.dir}/second.sock`], { env: daemon.env });
    let stderr = '';
    second.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise((r) => second.on('exit', r));
    expect(code).toBe(1);
    expect(stderr).toBe(`netplumbd: another netplumbd (pid ${daemon.child?.pid}) already owns the state in ${daemon.stateDir}/run and listens on unix://${daemon.socket}; stop it first, or give this one another --state-dir\n`);
    // Refused before touching anything: the first one still answers on its socket.
    expect((await daemon.cli(['network', 'ls', '--json'])).code).toBe(0);
  });
});

describe('the firewall', () => {
  it('is owned by the daemon: nft cannot delete it, and `nft flush ruleset` leaves published ports working', async () => {
    const engine = await Engine.connect({ socket: daemon.socket });
    await engine.networks.create({ name: 'fw', subnet: '10.70.0.0/24' });
    await engine.sandboxes.create({ name: 'fwweb', network: 'fw', publish: ['8088:80'] });
    expect(table()).toBe('owned');
    expect(() => execFileSync('ip', ['netns', 'exec', HOST, 'nft', 'delete', 'table', 'inet', 'netplumb'], { stdio: 'pipe' })).toThrow(/Operation not permitted/);

    const web = await engine.sandboxes.netns('fwweb');
    const server = await serve(web, 80, 'fwweb');
    try {
      expect(await exchange(topology.wan, '198.18.10.1', 8088)).toBe('fwweb saw 198.18.10.2: ping');
      execFileSync('ip', ['netns', 'exec', HOST, 'nft', 'flush', 'ruleset']);
      const flushed = Date.now();
      await expect.poll(() => table(), { timeout: 1000, interval: 50 }).toBe('owned');
      expect(await exchange(topology.wan, '198.18.10.1', 8088)).toBe('fwweb saw 198.18.10.2: ping');
      expect(Date.now() - flushed).toBeLessThan(1000);
    } finally {
      server.close();
      web.close();
    }
    await engine.sandboxes.remove('fwweb');
    await engine.networks.remove('fw');
    await engine.close();
  });
});

/** A client process: creates its sandboxes one after another through Engine.connect and prints each outcome. */
const CLIENT = `
import { Engine } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};
const [socket, prefix, count] = process.argv.slice(2);
const engine = await Engine.connect({ socket, reconnectTimeoutMs: 60000 });
for (let i = 0; i < Number(count); i++) {
  const name = prefix + i;
  try {
    const s = await engine.sandboxes.create({ name, network: 'crash', publish: [String(30000 + Number(prefix.slice(1)) * 100 + i) + ':80'] });
    console.log(JSON.stringify({ name, ok: true, id: s.id, ip: s.networks[0].ipv4, netnsName: s.netnsName }));
  } catch (e) {
    console.log(JSON.stringify({ name, ok: false, error: e.name + ': ' + e.message }));
  }
}
await engine.close();
`;

interface Outcome {
  name: string;
  ok: boolean;
  id?: string;
  ip?: string;
  netnsName?: string;
  error?: string;
}

describe('kill -9 and restart', () => {
  it('in the middle of 100 creates from 10 clients: what a client was told exists and works, nothing else does', async () => {
    const engine = await Engine.connect({ socket: daemon.socket });
    await engine.networks.create({ name: 'crash', subnet: '10.71.0.0/24', bridge: 'crash-br' });
    await engine.close();
    const script = join(daemon.dir, 'client.mjs');
    writeFileSync(script, CLIENT);
    let done = 0;
    const clients = Array.from({ length: 10 }, (_, k) => {
      const child = spawn(process.execPath, [script, daemon.socket, `k${k}`, '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        done += (d.toString().match(/\n/g) ?? []).length;
      });
      child.stderr.on('data', (d: Buffer) => (err += d));
      return new Promise<Outcome[]>((resolve, reject) =>
        child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Outcome)) : reject(new Error(`client k${k} exited ${code}: ${err}`)))),
      );
    });

    // Some creates are done, others in flight: kill -9, then start a new daemon on the same state.
    await expect.poll(() => done, { timeout: 60_000, interval: 10 }).toBeGreaterThanOrEqual(30);
    await daemon.kill();
    // The table outlives its owner, for the next daemon to take over.
    expect(table()).toBe('orphaned');
    await new Promise((r) => setTimeout(r, 200));
    await daemon.start();
    const outcomes = (await Promise.all(clients)).flat();
    expect(outcomes.length).toBe(100);
    expect(table()).toBe('owned');

    const told = outcomes.filter((o) => o.ok);
    const after = await Engine.connect({ socket: daemon.socket });
    const sandboxes = await after.sandboxes.list();
    // Exactly what the clients were told, by name, id and address.
    expect(sandboxes.map((s) => `${s.name} ${s.id} ${s.networks[0]?.ipv4}`).sort()).toEqual(told.map((o) => `${o.name} ${o.id} ${o.ip}`).sort());
    expect(new Set(told.map((o) => o.ip)).size).toBe(told.length);
    // Nothing else in the kernel: one namespace, one host end and one port element per sandbox.
    const ours = ip(undefined, 'netns', 'list').split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => /^np-[0-9a-f]{12}$/.test(n));
    expect(ours.sort()).toEqual(told.map((o) => o.netnsName).sort());
    expect(ipJson<unknown[]>(HOST, 'link', 'show', 'master', 'crash-br').length).toBe(told.length);
    expect(ipJson<{ ifname: string }[]>(HOST, 'link', 'show').filter((l) => /^npv/.test(l.ifname)).length).toBe(told.length);
    const ports = nftJson(HOST, 'list', 'map', 'inet', 'netplumb', 'any_ports4').nftables.find((o) => 'map' in o) as { map: { elem?: unknown[] } };
    expect(ports.map.elem?.length ?? 0).toBe(told.length);
    // And the state agrees: a reconcile finds nothing left to repair.
    expect(await after.reconcile()).toEqual(emptyReport());

    // Every one of them works: bytes from the host to a server in each sandbox.
    for (const o of told) {
      const ns = await Netns.open({ path: `/run/netns/${o.netnsName}` });
      const server = await serve(ns, 80, o.name);
      try {
        expect(await exchange(topology.host, o.ip as string, 80)).toBe(`${o.name} saw 10.71.0.1: ping`);
      } finally {
        server.close();
        ns.close();
      }
    }
    for (const s of sandboxes) await after.sandboxes.remove(s.id);
    await after.networks.remove('crash');
    await after.close();
  }, 240_000);
});
