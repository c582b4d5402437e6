// Bad input, from a caller in plain JavaScript as much as from a typo (issue
// 10): seeded, bounded random options for sandboxes.create, networks.create,
// sandboxes.connect and the removals — valid values, values the kernel would
// refuse (multicast MACs, MTUs under 1280 with IPv6, NUL in paths, ports out
// of range, addresses not on the host) and values of the wrong type (null,
// numbers for strings, arrays, objects, unknown keys). Every refusal is one
// of netplumb's typed errors, thrown before anything changed (the kernel as
// iproute2 and nft report it, and every state file, byte for byte); every
// acceptance is removed again, leaving the same.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetplumbError, Netns } from '../../../src/index.js';
import { Engine } from '../../../src/model/index.js';
import { assertSandbox } from '../support/witness.js';
import { kernelState, stateFiles, type Root } from './support/audit.js';
import { freshHost, removeEverything } from './support/engine.js';

const HOST = 'np-fz-host';
const SEED = 1010;
let host: Netns;
let engine: Engine;
const scratch = mkdtempSync(join(tmpdir(), 'np-fz-'));
const root: Root = { stateDir: join(scratch, 'state'), etcDir: join(scratch, 'etc') };
const tally = { inputs: 0, accepted: 0, rejected: 0, crashes: 0, changedOnReject: 0 };

const junk = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -5, max: 70000 }),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
  fc.object({ maxDepth: 1, maxKeys: 2 }),
  fc.string({ maxLength: 12 }),
  fc.constant('a\0b'),
  fc.constant(''),
);
/** Mostly a valid value (so that many inputs are accepted, and made and removed for real), sometimes a bad one. */
const pick = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ arbitrary: good, weight: 5 }, { arbitrary: bad, weight: 1 });
const strings = (good: string[][], bad: string[][] = []) =>
  pick(fc.constantFrom(...good), fc.oneof(...bad.map((b) => fc.constant(b)), fc.array(junk, { minLength: 1, maxLength: 2 }), junk));

const sandboxOptions = fc.record(
  {
    name: pick(fc.constantFrom('fz', 'fz.2', 'fz_3'), fc.oneof(fc.constant('-bad'), fc.constant('resident'), junk)),
    network: pick(fc.constantFrom('fuzz', 'none'), fc.oneof(fc.constant('host'), fc.constant('container:nope'), fc.constant('nosuchnet'), junk)),
    ip: pick(fc.constantFrom('10.82.1.77', '10.82.1.78'), fc.oneof(fc.constant('10.99.0.1'), fc.constant('10.82.1.1'), fc.constant('10.82.1.2'), junk)),
    mac: pick(
      fc.constantFrom('02:42:0a:52:01:09', '0a:00:00:00:00:01'),
      fc.oneof(fc.constantFrom('01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00', '33:33:00:00:00:01', '02:42:0a:52:01'), junk),
    ),
    aliases: strings([['web'], ['web', 'www']], [['bad name']]),
    publish: pick(
      fc.constantFrom(['8801:80'], ['127.0.0.1:8803:80/udp'], ['80'], ['8810-8812:80'], [{ protocol: 'tcp', containerPort: 80, hostPort: { kind: 'fixed', port: 8804 } }]),
      fc.oneof(
        fc.constantFrom(['99999:80'], ['192.0.2.9:8802:80'], ['8800:80'], ['[fd00::1]:8805:80']),
        fc.constant([{ protocol: 'tcp', containerPort: 80, hostPort: { kind: 'fixed', port: 0 } }]),
        fc.constant([{ protocol: 'icmp', containerPort: 80, hostPort: { kind: 'random' } }]),
        fc.constant([{ protocol: 'tcp', containerPort: 80, hostPort: { kind: 'fixed', port: 8806 }, extra: true }]),
        fc.array(junk, { minLength: 1, maxLength: 2 }),
        junk,
      ),
    ),
    publishAll: pick(fc.boolean(), junk),
    expose: strings([['80'], ['80/tcp', '81/udp']], [['99999'], ['80/icmp']]),
    links: strings([['resident'], ['resident:db']], [['nope'], ['a:b:c']]),
    hostname: pick(fc.constantFrom('box', 'web-1'), fc.oneof(fc.constant('bad host'), junk)),
    netns: fc.oneof(
      fc.constant({ path: '/run/netns/x\0y' }),
      fc.constant({ path: '/nonexistent/ns' }),
      fc.constant({ pid: 0 }),
      fc.constant({ pid: 'x' }),
      fc.constant({ path: '/tmp', pid: 1 }),
      fc.constant({ path: `/run/netns/${HOST}` }),
      fc.constant({ path: '/tmp' }),
      junk,
    ),
    // Never a directory that could be written: an accepted filesDir gets hosts and resolv.conf, wherever it points.
    filesDir: fc.oneof(fc.constant('a\0b'), fc.constant(''), fc.constant('relative/dir'), fc.constant('/abs\0x'), fc.integer(), fc.constant(null), fc.array(fc.string())),
    dns: strings([['192.0.2.53']], [['not-an-ip']]),
    dnsSearch: strings([['example.org']], [['a b'], ['x\nnameserver 1.2.3.4']]),
    dnsOptions: strings([['ndots:2']], [['rotate\nnameserver 1.1.1.1']]),
    extraHosts: strings([['db:10.82.1.9']], [['nocolon'], ['x:not-ip']]),
    unknownOption: junk,
  },
  // Never the default network: making it is a change that outlives the sandbox.
  { requiredKeys: ['network'] },
).map((o) => {
  // The options no valid call has (netns to adopt, filesDir, an unknown key) only now and then.
  const out: Record<string, unknown> = { ...o };
  const h = JSON.stringify(o).length;
  if (h % 5 !== 0) delete out.netns;
  if (h % 7 !== 0) delete out.filesDir;
  if (h % 3 !== 0) delete out.unknownOption;
  return out;
});

/** Close to what a real caller sends: a few options on the fuzz network, each wrong only now and then. */
const nearlyRight = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: bad, weight: 1 });
const plausibleSandbox = fc.record(
  {
    name: nearlyRight(fc.constantFrom('fz', 'fz-b'), junk),
    network: nearlyRight(fc.constant('fuzz'), junk),
    ip: nearlyRight(fc.constantFrom('10.82.1.77', '10.82.1.99'), fc.constantFrom('10.82.1.2', '10.99.0.1')),
    mac: nearlyRight(fc.constantFrom('02:42:0a:52:01:09', '0a:00:00:00:00:01'), fc.constantFrom('01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00')),
    publish: nearlyRight(fc.constantFrom(['8801:80'], ['80'], ['127.0.0.1:8803:80/udp'], ['8810-8812:80']), fc.constantFrom(['8800:80'], ['192.0.2.9:8802:80'], [5])),
    aliases: nearlyRight(fc.constantFrom(['web'], ['a', 'b']), fc.constant('web')),
    hostname: nearlyRight(fc.constant('box'), fc.constant(7)),
    dns: nearlyRight(fc.constant(['192.0.2.53']), fc.constant('192.0.2.53')),
    extraHosts: nearlyRight(fc.constant(['db:10.82.1.9']), fc.constant([null])),
  },
  { requiredKeys: ['network'] },
);

const networkOptions = fc.record(
  {
    name: pick(fc.constantFrom('fz-net', 'fz-net2'), fc.oneof(fc.constantFrom('bridge', 'host', 'fuzz', '-x'), junk)),
    subnet: pick(fc.constantFrom('10.83.1.0/24', '10.83.2.0/25'), fc.oneof(fc.constantFrom('10.83.1.5/24', '10.82.1.0/24', '300.1.1.0/24', '10.83.1.0/33'), junk)),
    gateway: pick(fc.constant(undefined), fc.oneof(fc.constantFrom('10.83.1.1', '10.84.0.1'), junk)),
    ipRange: pick(fc.constant(undefined), fc.oneof(fc.constantFrom('10.83.1.128/25', '10.84.0.0/24'), junk)),
    ipv6: pick(fc.constant(undefined), fc.oneof(fc.constant({ subnet: 'fd83::/64' }), fc.constant({ subnet: 'fd83::/64', extra: 1 }), fc.constant({ subnet: 5 }), junk)),
    internal: pick(fc.boolean(), junk),
    icc: pick(fc.boolean(), junk),
    masquerade: pick(fc.boolean(), junk),
    mtu: pick(fc.constantFrom(1500, 1000, 1280, 9000), fc.oneof(fc.constantFrom(68, 67, 1279, 70000, 1500.5, '1500'), junk)),
    bridge: pick(fc.constantFrom(undefined, 'fz-br'), fc.oneof(fc.constantFrom('way-too-long-bridge-name', 'bad/br', 'br@x', 'a b'), junk)),
    hostBinding: pick(fc.constantFrom(undefined, '127.0.0.1'), fc.oneof(fc.constant('nope'), junk)),
    labels: pick(fc.constant({ a: 'b' }), fc.oneof(fc.constant({ a: 1 }), junk)),
    options: pick(
      fc.constantFrom({}, { 'com.docker.network.driver.mtu': '1400' }, { 'com.docker.network.bridge.enable_icc': 'false' }),
      fc.oneof(fc.constantFrom({ 'com.docker.network.driver.mtu': 'x' }, { 'com.docker.network.bridge.enable_icc': 'maybe' }, { 'com.docker.network.unknown': '1' }), junk),
    ),
  },
  { requiredKeys: [] },
);

/** Everything a call could change: the host's kernel state and every state file. */
function snapshot(): string {
  return `${kernelState(HOST)}\n----\n${stateFiles(root)}`;
}

/**
 * Calls `fn` with fuzzed input: a refusal must be typed and change nothing;
 * an acceptance is undone by `undo`, which must leave what was there before.
 */
async function check<T>(fn: () => Promise<T>, undo: (r: T) => Promise<void>): Promise<void> {
  tally.inputs++;
  const before = snapshot();
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    tally.rejected++;
    if (!(e instanceof NetplumbError)) {
      tally.crashes++;
      throw new Error(`untyped ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
    const after = snapshot();
    if (after !== before) {
      tally.changedOnReject++;
      expect(after, `refused with ${(e as Error).message}, yet something changed`).toBe(before);
    }
    return;
  }
  tally.accepted++;
  await undo(result);
  // Where allocation resumes moves on, as Docker's serial allocation does: not something left behind.
  const cursor = /\n[^\n]*\/ipam\/[0-9a-f]{64}\/last\.json\n[^\n]*/g;
  // The kernel deletes a removed sandbox's veth pair with its namespace, in its own time.
  await expect
    .poll(() => snapshot().replace(cursor, ''), { timeout: 3000, message: 'accepted and removed again, yet something is left' })
    .toBe(before.replace(cursor, ''));
}

beforeAll(async () => {
  assertSandbox();
  ({ host, engine } = await freshHost(HOST, root));
  await engine.networks.create({ name: 'fuzz', subnet: '10.82.1.0/24' });
  await engine.sandboxes.create({ name: 'resident', network: 'fuzz', publish: ['8800:80'] });
});

afterAll(async () => {
  await removeEverything(engine);
  await engine?.close();
  await host?.delete();
  rmSync(scratch, { recursive: true, force: true });
  console.log(`fuzz: ${tally.inputs} inputs (${tally.accepted} accepted, ${tally.rejected} refused), ${tally.crashes} untyped errors, ${tally.changedOnReject} refusals that changed something`);
});

describe('fuzzed input', () => {
  it('sandboxes.create', async () => {
    await fc.assert(
      fc.asyncProperty(sandboxOptions, (o) => check(() => engine.sandboxes.create(o as never), (s) => engine.sandboxes.remove(s.id))),
      { seed: SEED, numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(plausibleSandbox, (o) => check(() => engine.sandboxes.create(o as never), (s) => engine.sandboxes.remove(s.id))),
      { seed: SEED, numRuns: 120 },
    );
  }, 600_000);

  it('networks.create', async () => {
    await fc.assert(
      fc.asyncProperty(networkOptions, (o) => check(() => engine.networks.create(o as never), (n) => engine.networks.remove(n.Id))),
      { seed: SEED, numRuns: 150 },
    );
  }, 600_000);

  it('sandboxes.connect, sandboxes.remove, networks.remove with wrong arguments', async () => {
    const args = fc.tuple(fc.oneof(fc.constant('resident'), junk), fc.oneof(fc.constant('fuzz'), junk), fc.oneof(fc.record({ ip: junk, aliases: junk }, { requiredKeys: [] }), junk));
    await fc.assert(
      fc.asyncProperty(args, async ([sb, net, o]) => {
        await check(() => engine.sandboxes.connect(sb as never, net as never, o as never), async () => {
          throw new Error('connect to a network it is on already cannot succeed');
        });
        await check(() => engine.sandboxes.remove(junkRef(sb), o as never), async () => undefined);
        await check(() => engine.networks.remove(junkRef(net), o as never), async () => undefined);
      }),
      { seed: SEED, numRuns: 60 },
    );
    expect(tally.crashes).toBe(0);
    expect(tally.changedOnReject).toBe(0);
  }, 600_000);
});

/** The resident sandbox and network are never the target of a removal here. */
function junkRef(v: unknown): never {
  return (v === 'resident' || v === 'fuzz' ? 'not-there' : v) as never;
}
