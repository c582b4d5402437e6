// "Never lose or leak anything" (issue 4), proved against the kernel: an
// attach that fails half way leaves nothing, teardown can repeat, state
// survives the process and a crash, two processes never share an address, and
// removing everything gives the host namespace back as it was. The library
// works in its own "host" namespace; `ip` and `nft` only watch, or do the
// damage an outsider (or a crash) would.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Netns, Plan, tcpProbe, NotFoundError as KernelNotFoundError } from '../../../src/index.js';
import { Engine, type SandboxInfo } from '../../../src/model/index.js';
import { ConflictError, NoSuchObjectError } from '../../../src/core/errors.js';
import { assertSandbox, ip, ipJson, nftJson, snapshot } from '../support/witness.js';
import { ChildLib } from './support/child.js';
import { removeEverything } from './support/engine.js';
import { ownerOf } from '../../../src/model/state/owner.js';

const HOST = 'np-st-host';
/** The names the model gives its namespaces and host veth ends. */
const OUR_NETNS = /^np-[0-9a-f]{12}$/;
const OUR_VETH = /^npv[0-9a-f]{12}$/;

interface Dirs {
  stateDir: string;
  etcDir: string;
}

let hostNs: Netns;
let lib: ChildLib;
let dirs: Dirs;
const roots: string[] = [];

function freshDirs(): Dirs {
  const root = mkdtempSync(join(tmpdir(), 'np-st-'));
  roots.push(root);
  return { stateDir: join(root, 'state'), etcDir: join(root, 'etc') };
}

/** Runs `fn` with an Engine on a handle of the host namespace of its own, closed after (as a process would). */
async function withEngine<T>(d: Dirs, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const host = await Netns.open(HOST);
  try {
    const engine = await Engine.open({ host, ...d, dns: false });
    try {
      return await fn(engine);
    } finally {
      await engine.close();
    }
  } finally {
    host.close();
  }
}

// ---- witnesses -------------------------------------------------------------

interface IpLink {
  ifname: string;
  group?: string;
  master?: string;
  ifalias?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string };
}

function hostLinks(): IpLink[] {
  return ipJson<IpLink[]>(HOST, '-d', 'link', 'show');
}

function namespaces(): string[] {
  return ip(undefined, 'netns', 'list').split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '').sort();
}

function nftText(...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', HOST, 'nft', ...args], { encoding: 'utf8' });
}

type NftValue = string | number | { concat: NftValue[] } | { elem: { val: NftValue } };

function flat(v: NftValue): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if ('concat' in v) return v.concat.map(flat).join(' . ');
  return flat(v.elem.val);
}

/** Elements of one of the firewall's port maps as "key => data" lines, as nft reports them. */
function mapElements(name: 'any_ports4' | 'ports4'): string[] {
  const out = nftJson(HOST, 'list', 'map', 'inet', 'netplumb', name);
  const map = out.nftables.find((o) => 'map' in o)?.map as { elem?: [NftValue, NftValue][] } | undefined;
  return (map?.elem ?? []).map(([k, v]) => `${flat(k)} => ${flat(v)}`).sort();
}

/** What the model says should be in any_ports4 for these sandboxes. */
function expectedAnyPorts(sandboxes: SandboxInfo[]): string[] {
  return sandboxes
    .flatMap((s) => s.ports.filter((p) => p.hostIp === undefined).map((p) => `${p.protocol} . ${p.hostPort} => ${s.networks[0]!.ipv4} . ${p.containerPort}`))
    .sort();
}

/** The network's IPAM documents (one per address, plus where allocation resumes), as one text. */
function ipamDoc(d: Dirs, networkId: string): string {
  const dir = join(d.stateDir, 'run', 'ipam', networkId);
  try {
    const docs = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => `${f} ${readFileSync(join(dir, f), 'utf8').trim()}`);
    // An empty directory is no allocation (the first one makes it; an undone attach leaves it).
    return docs.length > 0 ? docs.join('\n') : '(none)';
  } catch {
    return '(none)';
  }
}

/** Allocated IPv4 address → owner. */
function allocated(d: Dirs, networkId: string): Record<string, string> {
  const dir = join(d.stateDir, 'run', 'ipam', networkId);
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json') || f === 'last.json' || f.includes('_')) continue;
    out[f.slice(0, -'.json'.length)] = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { owner: string }).owner;
  }
  return out;
}

/** The sandbox records as the state directory holds them (what a crash left). */
function sandboxRecords(d: Dirs): { name: string; endpoints: { hostIfname: string }[] }[] {
  const dir = join(d.stateDir, 'run', 'sandboxes');
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { name: string; endpoints: { hostIfname: string }[] });
}

/**
 * The host's snapshot without what the kernel derives from a bridge's current
 * ports (carrier, operstate, TSO limits), updated asynchronously: not
 * something an operation can keep or leak. The bridge's MAC address stays in:
 * neighbours cache it as the gateway's.
 */
function hostSnapshot(): string {
  return snapshot(HOST)
    .replace(/,LOWER_UP|NO-CARRIER,/g, '')
    .replace(/ state [A-Z]+ /g, ' state - ')
    .replace(/ tso_max_size \d+ tso_max_segs \d+/g, '');
}

/** Everything an attach could change, kernel and state, for before/after comparisons. */
async function everything(engine: Engine, d: Dirs, networkId: string) {
  return {
    host: hostSnapshot(),
    ruleset: nftText('list', 'ruleset'),
    namespaces: namespaces(),
    ipam: ipamDoc(d, networkId),
    ports: (() => {
      const dir = join(d.stateDir, 'run', 'ports');
      try {
        const docs = readdirSync(dir).sort().map((f) => `${f}: ${readFileSync(join(dir, f), 'utf8')}`);
        // An empty directory is no port published (the first publication makes it).
        return docs.length > 0 ? docs : '(none)';
      } catch {
        return '(none)';
      }
    })(),
    sandboxes: await engine.sandboxes.list(),
  };
}

/** Bytes that cross: the host connects to the gateway's published port and reaches the sandbox. */
async function reachesThroughPort(engine: Engine, sandbox: string, gateway: string, hostPort: number, containerPort: number): Promise<number> {
  const ns = await engine.sandboxes.netns(sandbox);
  try {
    const r = await tcpProbe(hostNs, ns, { address: gateway, listenAddress: '0.0.0.0', port: containerPort, connectPort: hostPort });
    return r.bytes;
  } finally {
    ns.close();
  }
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

beforeAll(async () => {
  assertSandbox();
  await Netns.remove(HOST, { ifExists: true });
  hostNs = await Netns.create({ name: HOST });
  lib = await ChildLib.build();
});

afterAll(async () => {
  lib?.cleanup();
  await hostNs?.delete();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

// Each test has state of its own; whatever it left is removed, so the shared firewall table starts empty.
afterEach(async () => {
  await withEngine(dirs, async (engine) => {
    await removeEverything(engine);
    await engine.reconcile();
  });
});

const TEN_PORTS = Array.from({ length: 10 }, (_, i) => `${7100 + i}:${80 + i}`);

describe('every operation is one unit', () => {
  it('an attach with ten published ports that fails in the kernel (bridge gone) leaves kernel and state as they were', async () => {
    dirs = freshDirs();
    await withEngine(dirs, async (engine) => {
      const net = await engine.networks.create({ name: 'atom', subnet: '10.77.1.0/24' });
      await engine.sandboxes.create({ name: 'first', network: 'atom', publish: ['7000:80'] });
      ip(HOST, 'link', 'del', net.Options['com.docker.network.bridge.name']!);
      const before = await everything(engine, dirs, net.Id);

      const err = await engine.sandboxes.create({ name: 'ten', network: 'atom', publish: TEN_PORTS }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KernelNotFoundError);
      expect(await everything(engine, dirs, net.Id)).toEqual(before);

      // Nothing of the failed attach is held: once the bridge is back, the same attach succeeds whole.
      await engine.reconcile();
      const ten = await engine.sandboxes.create({ name: 'ten', network: 'atom', publish: TEN_PORTS });
      expect(mapElements('any_ports4')).toEqual(expectedAnyPorts(await engine.sandboxes.list()));
      expect(mapElements('any_ports4').filter((e) => e.endsWith(`=> ${ten.networks[0]!.ipv4} . 89`))).toEqual([`tcp . 7109 => ${ten.networks[0]!.ipv4} . 89`]);
    });
  });

  it('an attach whose last step (the firewall) fails undoes the namespace, veth, address and route before it', async () => {
    dirs = freshDirs();
    const net = await withEngine(dirs, (engine) => engine.networks.create({ name: 'late', subnet: '10.77.2.0/24' }));
    // The table is orphaned between engines: an outsider publishes 7105 behind the model's back.
    nftText('add', 'element', 'inet', 'netplumb', 'any_ports4', '{ tcp . 7105 : 10.9.9.9 . 80 }');
    await withEngine(dirs, async (engine) => {
      const before = await everything(engine, dirs, net.Id);
      const err = await engine.sandboxes.create({ name: 'ten', network: 'late', publish: TEN_PORTS }).catch((e: unknown) => e);
      // The kernel refused the element; the error says which port and that it is not this state's.
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).reason).toBe('port-in-use');
      expect((err as Error).message).toMatch(/host port 0\.0\.0\.0:7105\/tcp is already published by another party/);
      // The bridge's carrier (and the routes' linkdown flag) follows its ports through the kernel's linkwatch, up to a second later.
      await expect.poll(() => everything(engine, dirs, net.Id), { timeout: 3000 }).toEqual(before);
    });
  });

  it('a create that fails leaves the files of the directory the caller named as they were; one that succeeds writes them', async () => {
    dirs = freshDirs();
    const bundle = join(dirs.stateDir, '..', 'bundle');
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'hosts'), "the bundle's own hosts\n");
    await withEngine(dirs, async (engine) => {
      await engine.networks.create({ name: 'files', subnet: '10.77.12.0/24' });
      // Someone else holds host port 7200 in the kernel: the create's last step fails.
      nftText('add', 'element', 'inet', 'netplumb', 'any_ports4', '{ tcp . 7200 : 10.9.9.9 . 80 }');
      const err = await engine.sandboxes.create({ name: 'f', network: 'files', publish: ['7200:80'], filesDir: bundle }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect(readdirSync(bundle)).toEqual(['hosts']);
      expect(readFileSync(join(bundle, 'hosts'), 'utf8')).toBe("the bundle's own hosts\n");
      const ok = await engine.sandboxes.create({ name: 'f', network: 'files', publish: ['7201:80'], filesDir: bundle });
      expect(readFileSync(join(bundle, 'hosts'), 'utf8')).toContain(ok.networks[0]!.ipv4);
      expect(readdirSync(bundle).sort()).toEqual(['hosts', 'resolv.conf']);
      await engine.sandboxes.remove('f');
      nftText('delete', 'element', 'inet', 'netplumb', 'any_ports4', '{ tcp . 7200 }');
    });
  });

  it('a host port another sandbox publishes is a ConflictError before anything changes', async () => {
    dirs = freshDirs();
    await withEngine(dirs, async (engine) => {
      const net = await engine.networks.create({ name: 'conflict', subnet: '10.77.3.0/24' });
      await engine.sandboxes.create({ name: 'holder', network: 'conflict', publish: ['8080:80'] });
      const before = await everything(engine, dirs, net.Id);

      const err = await engine.sandboxes.create({ name: 'late', network: 'conflict', publish: ['8081:81', '8080:80'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).reason).toBe('port-in-use');
      expect(await everything(engine, dirs, net.Id)).toEqual(before);
    });
  });
});

describe('teardown is idempotent', () => {
  it('a second remove is NoSuchObjectError, and succeeds with force; the kernel keeps nothing of the sandbox', async () => {
    dirs = freshDirs();
    await withEngine(dirs, async (engine) => {
      const net = await engine.networks.create({ name: 'twice', subnet: '10.77.4.0/24' });
      const s = await engine.sandboxes.create({ name: 'web', network: 'twice', publish: ['8080:80'] });
      await engine.sandboxes.remove('web');

      await expect(engine.sandboxes.remove('web')).rejects.toBeInstanceOf(NoSuchObjectError);
      await expect(engine.sandboxes.remove('web', { force: true })).resolves.toBeUndefined();
      expect(namespaces()).not.toContain(s.netnsName);
      // The kernel removes the veth pair with the namespace, in its background work.
      await expect.poll(() => hostLinks().map((l) => l.ifname), { timeout: 3000 }).not.toContain(s.networks[0]!.hostIfname);
      expect(mapElements('any_ports4')).toEqual([]);
      expect(allocated(dirs, net.Id)).toEqual({});
    });
  });

  it('remove after the namespace vanished succeeds and frees its address and port for the next sandbox', async () => {
    dirs = freshDirs();
    await withEngine(dirs, async (engine) => {
      const net = await engine.networks.create({ name: 'vanish', subnet: '10.77.5.0/24' });
      const gone = await engine.sandboxes.create({ name: 'gone', network: 'vanish', publish: ['9090:80'] });
      const address = gone.networks[0]!.ipv4;
      ip(undefined, 'netns', 'del', gone.netnsName!);

      await engine.sandboxes.remove('gone');
      expect(Object.keys(allocated(dirs, net.Id))).not.toContain(address);
      expect(mapElements('any_ports4')).toEqual([]);
      await expect.poll(() => hostLinks().map((l) => l.ifname), { timeout: 3000 }).not.toContain(gone.networks[0]!.hostIfname);

      // The same address and host port again, and traffic through them.
      await engine.sandboxes.create({ name: 'back', network: 'vanish', ip: address, publish: ['9090:80'] });
      expect(await reachesThroughPort(engine, 'back', net.IPAM.Config[0]!.Gateway, 9090, 80)).toBe(32);
    });
  });

  for (const how of ['keeps its name', 'lost its name'] as const)
    it(`remove while another process holds the namespace (which ${how}) leaves nothing on the host`, async () => {
      dirs = freshDirs();
      await withEngine(dirs, async (engine) => {
        await engine.networks.create({ name: 'held', subnet: '10.77.11.0/24' });
        const s = await engine.sandboxes.create({ name: 'held', network: 'held' });
        // A container's processes keep its namespace alive after the name is gone.
        const holder = await Netns.open(s.netnsName!);
        try {
          if (how === 'lost its name') ip(undefined, 'netns', 'del', s.netnsName!);
          await engine.sandboxes.remove('held');
          // The kernel keeps the held namespace, and would keep the veth pair with it: remove took
          // the host end down at once (it forwards nothing), and settle() deletes it.
          const hostEnd = hostLinks().find((l) => l.ifname === s.networks[0]!.hostIfname);
          expect(hostEnd?.flags).not.toContain('UP');
          expect(namespaces()).not.toContain(s.netnsName);
          await engine.settle();
          expect(hostLinks().map((l) => l.ifname)).not.toContain(s.networks[0]!.hostIfname);
          const report = await engine.reconcile();
          expect(report.removedLinks).toEqual([]);
        } finally {
          holder.close();
        }
      });
    });
});

const CREATE_IN_CHILD = `
const host = await Netns.open(args.host);
const engine = await Engine.open({ host, stateDir: args.stateDir, etcDir: args.etcDir, dns: false });
if (args.network) await engine.networks.create(args.network);
for (const s of args.sandboxes) {
  await engine.sandboxes.create(s);
  console.log('created ' + s.name);
}
console.log(JSON.stringify({ networks: await engine.networks.list(), sandboxes: await engine.sandboxes.list() }));
await engine.close();
process.exit(0);
`;

describe('state survives the process', () => {
  it('a second process finds the networks, sandboxes, addresses and ports a first one made, and so does the kernel', async () => {
    dirs = freshDirs();
    const out = await lib.run(CREATE_IN_CHILD, {
      host: HOST, ...dirs,
      network: { name: 'kept', subnet: '10.77.6.0/24' },
      sandboxes: [
        { name: 'kept-a', network: 'kept', publish: ['8301:80', '8302:81/udp'] },
        { name: 'kept-b', network: 'kept', publish: ['10.77.6.1:8303:80'] },
      ],
    });
    const made = JSON.parse(out.trim().split('\n').at(-1)!) as { networks: unknown[]; sandboxes: SandboxInfo[] };

    await withEngine(dirs, async (engine) => {
      expect(await engine.networks.list()).toEqual(made.networks);
      const sandboxes = (await engine.sandboxes.list()).sort(byName);
      expect(sandboxes).toEqual(made.sandboxes.sort(byName));
      const [a, b] = sandboxes as [SandboxInfo, SandboxInfo];
      expect(a.ports.map((p) => `${p.hostIp ?? '*'}:${p.hostPort}/${p.protocol}`)).toEqual(['*:8301/tcp', '*:8302/udp']);

      // The kernel still has all of it.
      expect(mapElements('any_ports4')).toEqual([`tcp . 8301 => ${a.networks[0]!.ipv4} . 80`, `udp . 8302 => ${a.networks[0]!.ipv4} . 81`]);
      expect(mapElements('ports4')).toEqual([`10.77.6.1 . tcp . 8303 => ${b.networks[0]!.ipv4} . 80`]);
      const links = new Map(hostLinks().map((l) => [l.ifname, l]));
      const bridge = (await engine.networks.inspect('kept')).Options['com.docker.network.bridge.name'];
      for (const s of sandboxes) {
        expect(links.get(s.networks[0]!.hostIfname)?.master).toBe(bridge);
        const addrs = ipJson<{ ifname: string; addr_info: { local: string }[] }[]>(s.netnsName, 'addr', 'show', 'eth0');
        expect(addrs[0]?.addr_info.map((x) => x.local)).toContain(s.networks[0]!.ipv4);
      }
      expect(await reachesThroughPort(engine, 'kept-a', '10.77.6.1', 8301, 80)).toBe(32);
    });
  });
});

describe('after a crash, reconcile', () => {
  it('removes what belongs to no live sandbox, restores what is missing, and published ports carry traffic again', async () => {
    dirs = freshDirs();
    const net = await withEngine(dirs, (engine) => engine.networks.create({ name: 'crash', subnet: '10.77.7.0/24' }));
    const bridge = net.Options['com.docker.network.bridge.name']!;

    // A child attaches sandboxes with a port each and is killed half way through the loop.
    const sandboxes = Array.from({ length: 40 }, (_, i) => ({ name: `c-${i}`, network: 'crash', publish: [`${8400 + i}:80`] }));
    const { child, done } = lib.start(CREATE_IN_CHILD, { host: HOST, ...dirs, sandboxes });
    await new Promise<void>((res) => {
      let seen = '';
      child.stdout?.on('data', (d: string) => {
        seen += d;
        if ((seen.match(/^created /gm) ?? []).length >= 6) res();
      });
    });
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');

    // Debris, made deterministic: a host veth with this state's mark (its device group) that no record
    // owns, an address allocated to an endpoint that never got written — and a namespace and a veth of
    // netplumb's naming without this state's mark: another owner's (or nobody's), left alone.
    const group = String(ownerOf({ runtime: join(dirs.stateDir, 'run'), config: join(dirs.stateDir, 'lib') }).id);
    ip(undefined, 'netns', 'add', 'np-0000deadbeef');
    ip(HOST, 'link', 'add', 'npv0000deadbeef', 'group', group, 'type', 'veth', 'peer', 'name', 'stray-peer');
    ip(HOST, 'link', 'add', 'npv0000feedbeef', 'type', 'veth', 'peer', 'name', 'other-peer');
    writeFileSync(join(dirs.stateDir, 'run', 'ipam', net.Id, '10.77.7.250.json'), `${JSON.stringify({ owner: 'f'.repeat(64) })}\n`);

    // Outside damage: the bridge, one sandbox's veth pair, and the whole table (shared by default: a
    // firewall reload can do this; an engine with firewallOwner would have the kernel refuse it).
    const recorded = sandboxRecords(dirs);
    expect(recorded.length).toBeGreaterThanOrEqual(6);
    const cut = recorded[1]!;
    ip(HOST, 'link', 'del', bridge);
    ip(HOST, 'link', 'del', cut.endpoints[0]!.hostIfname);
    nftText('delete', 'table', 'inet', 'netplumb');

    await withEngine(dirs, async (engine) => {
      const report = await engine.reconcile();
      expect(report.removedNamespaces).toEqual([]);
      expect(namespaces()).toContain('np-0000deadbeef');
      ip(undefined, 'netns', 'del', 'np-0000deadbeef');
      expect(report.removedLinks).toEqual(['npv0000deadbeef']);
      expect(hostLinks().map((l) => l.ifname)).toContain('npv0000feedbeef');
      ip(HOST, 'link', 'del', 'npv0000feedbeef');
      expect(report.releasedAddresses).toContain('10.77.7.250');
      expect(report.restoredBridges).toEqual([bridge]);
      expect(report.restoredEndpoints).toEqual([`${cut.name}/eth0`]);

      const live = (await engine.sandboxes.list()).sort(byName);
      expect(namespaces().filter((n) => OUR_NETNS.test(n))).toEqual(live.map((s) => s.netnsName).sort());
      const links = hostLinks();
      expect(links.find((l) => l.ifname === bridge)?.ifalias).toBe(`netplumb network ${net.Id}`);
      // iproute2 prints the group as a signed 32-bit number.
      expect(Number(links.find((l) => l.ifname === bridge)?.group) >>> 0).toBe(Number(group));
      const veths = links.filter((l) => OUR_VETH.test(l.ifname));
      expect(veths.map((l) => l.ifname).sort()).toEqual(live.map((s) => s.networks[0]!.hostIfname).sort());
      for (const v of veths) expect(v.master).toBe(bridge);
      expect(allocated(dirs, net.Id)).toEqual(Object.fromEntries(live.map((s) => [s.networks[0]!.ipv4, s.networks[0]!.endpointId])));
      expect(mapElements('any_ports4')).toEqual(expectedAnyPorts(live));

      for (const s of live) expect(await reachesThroughPort(engine, s.name, '10.77.7.1', s.ports[0]!.hostPort, 80)).toBe(32);
    });
  });
});

describe('IPAM across processes', () => {
  it('two processes attaching 25 sandboxes each at the same time get 50 distinct addresses, all in the kernel', async () => {
    dirs = freshDirs();
    await withEngine(dirs, (engine) => engine.networks.create({ name: 'race', subnet: '10.77.8.0/24' }));
    const batch = (who: string) => Array.from({ length: 25 }, (_, i) => ({ name: `${who}-${i}`, network: 'race' }));
    const results = await Promise.all(['p', 'q'].map((who) => lib.start(CREATE_IN_CHILD, { host: HOST, ...dirs, sandboxes: batch(who) }).done));
    for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });

    await withEngine(dirs, async (engine) => {
      const all = await engine.sandboxes.list();
      expect(all).toHaveLength(50);
      const addresses = all.map((s) => s.networks[0]!.ipv4);
      expect(new Set(addresses).size).toBe(50);
      for (const s of all) {
        const addrs = ipJson<{ addr_info: { local: string }[] }[]>(s.netnsName, 'addr', 'show', 'eth0');
        expect(addrs[0]?.addr_info.map((x) => x.local)).toEqual([s.networks[0]!.ipv4]);
      }
    });
  });
});

describe('concurrent callers of one engine', () => {
  it('twelve creates at once all succeed, each whole; a refused one (a name in use) leaves nothing', async () => {
    dirs = freshDirs();
    await withEngine(dirs, async (engine) => {
      await engine.networks.create({ name: 'many', subnet: '10.77.13.0/24' });
      const before = namespaces();
      const results = await Promise.allSettled(
        [...Array.from({ length: 12 }, (_, i) => `m-${i}`), 'm-0'].map((name, i) => engine.sandboxes.create({ name, network: 'many', publish: [`${7300 + i}:80`] })),
      );
      const made = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(made.map((s) => s.name).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m-${i}`).sort());
      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(ConflictError);
      // Every namespace made is a sandbox's, and no pool record is left.
      expect(namespaces().filter((n) => !before.includes(n)).sort()).toEqual(made.map((s) => s.netnsName).sort());
      const poolDir = join(dirs.stateDir, 'run', 'pool');
      expect((() => { try { return readdirSync(poolDir); } catch { return []; } })().filter((f) => f.endsWith('.json'))).toEqual([]);
      expect(new Set(made.map((s) => s.networks[0]!.ipv4)).size).toBe(12);
      for (const s of made) {
        const addrs = ipJson<{ addr_info: { local: string }[] }[]>(s.netnsName, 'addr', 'show', 'eth0');
        expect(addrs[0]?.addr_info.map((x) => x.local)).toEqual([s.networks[0]!.ipv4]);
      }
      expect(mapElements('any_ports4')).toEqual(expectedAnyPorts(made));
      for (const s of made) await engine.sandboxes.remove(s.name);
    });
  });
});

describe('creates beside each other', () => {
  /** Holds every create's plan (its netns.create) until `open`, and says when each has been sent. */
  function holdPlans(opts: { failing?: number } = {}): { sent: (n: number) => Promise<void>; open: () => void; restore: () => void } {
    const original = Plan.prototype.run;
    let count = 0;
    const waiters: { n: number; resolve: () => void }[] = [];
    let open!: () => void;
    const held = new Promise<void>((r) => (open = r));
    Plan.prototype.run = async function (this: Plan, ...args: Parameters<Plan['run']>) {
      if (this.calls.some((c) => c.op === 'netns.create')) {
        const mine = ++count;
        for (const w of waiters.filter((x) => x.n <= count)) w.resolve();
        await held;
        // Refused before the kernel is touched, as a plan whose first call fails is undone by the core.
        if (mine === opts.failing) throw new Error('plan refused by the test');
      }
      return original.apply(this, args);
    } as Plan['run'];
    return {
      sent: (n) => (count >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
      open,
      restore: () => {
        Plan.prototype.run = original;
      },
    };
  }

  it("a create waiting for its kernel plan lets the next create write its records and send its plan; its name is refused meanwhile, and a remove waits for both", async () => {
    dirs = freshDirs();
    await withEngine(dirs, async (engine) => {
      await engine.networks.create({ name: 'beside', subnet: '10.77.14.0/24' });
      const plans = holdPlans();
      try {
        const first = engine.sandboxes.create({ name: 'b-1', network: 'beside', publish: ['7400:80'] });
        await plans.sent(1);
        // The first create's plan is held, not done: the second one's records are written and its plan sent beside it.
        const second = engine.sandboxes.create({ name: 'b-2', network: 'beside', publish: ['7401:80'] });
        await plans.sent(2);
        // A name a create in flight takes is refused, and that create's pending record is left alone.
        const again = await engine.sandboxes.create({ name: 'b-1', network: 'beside' }).catch((e: unknown) => e);
        expect(again).toBeInstanceOf(ConflictError);
        expect((again as Error).message).toMatch(/'b-1' is being taken by a create still in progress/);
        // A remove is not a create: it waits until no create is in flight, then finds the sandbox whole.
        let removed = false;
        const remove = engine.sandboxes.remove('b-1').then(() => {
          removed = true;
        });
        await new Promise((r) => setTimeout(r, 50));
        expect(removed).toBe(false);
        plans.open();
        const [one, two] = await Promise.all([first, second]);
        await remove;
        expect(one.networks[0]!.ipv4).not.toBe(two.networks[0]!.ipv4);
        expect((await engine.sandboxes.list()).map((x) => x.name)).toEqual(['b-2']);
        expect(namespaces()).not.toContain(one.netnsName);
        const addrs = ipJson<{ addr_info: { local: string }[] }[]>(two.netnsName, 'addr', 'show', 'eth0');
        expect(addrs[0]?.addr_info.map((x) => x.local)).toEqual([two.networks[0]!.ipv4]);
        expect(mapElements('any_ports4')).toEqual(expectedAnyPorts([two]));
      } finally {
        plans.open();
        plans.restore();
      }
      expect(await engine.reconcile()).toMatchObject({ rolledBack: [], removedSandboxes: [], removedLinks: [], removedNamespaces: [] });
    });
  });

  it('a create whose plan fails while the next one is in flight undoes only its own: the address cursor the next one moved on stays', async () => {
    dirs = freshDirs();
    await withEngine(dirs, async (engine) => {
      await engine.networks.create({ name: 'undo', subnet: '10.77.15.0/24' });
      const before = namespaces();
      const plans = holdPlans({ failing: 1 });
      try {
        const failed = engine.sandboxes.create({ name: 'u-1', network: 'undo', publish: ['7500:80'] }).catch((e: unknown) => e);
        await plans.sent(1);
        const next = engine.sandboxes.create({ name: 'u-2', network: 'undo', publish: ['7501:80'] });
        await plans.sent(2);
        plans.open();
        expect(((await failed) as Error).message).toBe('plan refused by the test');
        expect((await next).networks[0]!.ipv4).toBe('10.77.15.3');
      } finally {
        plans.open();
        plans.restore();
      }
      // Serial allocation goes on after the last address handed out, not back to the one the failed create freed.
      expect((await engine.sandboxes.create({ name: 'u-3', network: 'undo' })).networks[0]!.ipv4).toBe('10.77.15.4');
      expect((await engine.sandboxes.list()).map((x) => x.name).sort()).toEqual(['u-2', 'u-3']);
      expect(namespaces().filter((n) => !before.includes(n))).toHaveLength(2);
      expect(mapElements('any_ports4')).toEqual(expectedAnyPorts((await engine.sandboxes.list()).filter((x) => x.name === 'u-2')));
      expect(await engine.reconcile()).toMatchObject({ rolledBack: [], removedSandboxes: [], removedLinks: [], removedNamespaces: [] });
    });
  });
});

describe('nothing is left behind', () => {
  it('after removing every sandbox and network, link, addr, route and nft ruleset of the host are as before', async () => {
    dirs = freshDirs();
    await withEngine(dirs, async (engine) => {
      const before = { host: snapshot(HOST), namespaces: namespaces() };
      await engine.networks.create({ name: 'front', subnet: '10.77.9.0/24' });
      await engine.networks.create({ name: 'back', subnet: '10.77.10.0/24', internal: true });
      await engine.sandboxes.create({ name: 'web', network: 'front', publish: ['8080:80', '10.77.9.1:8443:443', '5353:53/udp'] });
      await engine.sandboxes.create({ name: 'db', network: 'back' });
      await engine.sandboxes.connect('web', 'back');
      await engine.sandboxes.create({ name: 'side', network: 'container:web' });
      expect(snapshot(HOST)).not.toEqual(before.host);

      for (const s of ['side', 'web', 'db']) await engine.sandboxes.remove(s);
      for (const n of ['front', 'back']) await engine.networks.remove(n);
      expect({ host: snapshot(HOST), namespaces: namespaces() }).toEqual(before);
    });
  });
});
