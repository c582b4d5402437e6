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
const strings = (...good: string[][]) => fc.oneof(...good.map((g) => fc.constant(g)), fc.array(junk, { maxLength: 2 }), junk);

const sandboxOptions = fc.record(
  {
    name: fc.oneof(fc.constant('fz'), fc.constant('fz.2'), fc.constant('-bad'), junk),
    network: fc.oneof(fc.constant('fuzz'), fc.constant('none'), fc.constant('host'), fc.constant('container:nope'), fc.constant('nosuchnet'), junk),
    ip: fc.oneof(fc.constant('10.82.1.77'), fc.constant('10.99.0.1'), fc.constant('10.82.1.1'), junk),
    ip6: fc.oneof(fc.constant('fd82::5'), junk),
    mac: fc.oneof(
      fc.constant('02:42:0a:52:01:09'),
      fc.constant('01:00:5e:00:00:01'),
      fc.constant('ff:ff:ff:ff:ff:ff'),
      fc.constant('00:00:00:00:00:00'),
      fc.constant('33:33:00:00:00:01'),
      junk,
    ),
    aliases: strings(['web'], ['bad name']),
    publish: fc.oneof(
      fc.constant(['8801:80']),
      fc.constant(['99999:80']),
      fc.constant(['192.0.2.9:8802:80']),
      fc.constant(['127.0.0.1:8803:80/udp']),
      fc.constant([{ protocol: 'tcp', containerPort: 80, hostPort: { kind: 'fixed', port: 8804 } }]),
      fc.constant([{ protocol: 'tcp', containerPort: 80, hostPort: { kind: 'fixed', port: 0 } }]),
      fc.constant([{ protocol: 'icmp', containerPort: 80, hostPort: { kind: 'random' } }]),
      fc.array(junk, { maxLength: 2 }),
      junk,
    ),
    publishAll: fc.oneof(fc.boolean(), junk),
    expose: strings(['80'], ['80/tcp', '99999']),
    links: strings(['nope'], ['a:b:c']),
    hostname: fc.oneof(fc.constant('box'), fc.constant('bad host'), junk),
    netns: fc.oneof(
      fc.constant({ path: '/run/netns/x\0y' }),
      fc.constant({ path: '/nonexistent/ns' }),
      fc.constant({ pid: 0 }),
      fc.constant({ pid: 'x' }),
      fc.constant({ path: '/tmp', pid: 1 }),
      fc.constant({ path: `/run/netns/${HOST}` }),
      junk,
    ),
    filesDir: fc.oneof(fc.constant('a\0b'), junk),
    dns: strings(['192.0.2.53'], ['not-an-ip']),
    dnsSearch: strings(['example.org'], ['a b', 'x\nnameserver 1.2.3.4']),
    dnsOptions: strings(['ndots:2'], ['rotate\nnameserver 1.1.1.1']),
    extraHosts: strings(['db:10.82.1.9'], ['nocolon']),
    unknownOption: junk,
  },
  { requiredKeys: [] },
);

const networkOptions = fc.record(
  {
    name: fc.oneof(fc.constant('fz-net'), fc.constant('bridge'), fc.constant('host'), junk),
    subnet: fc.oneof(fc.constant('10.83.1.0/24'), fc.constant('10.83.1.5/24'), fc.constant('10.82.1.0/24'), fc.constant('300.1.1.0/24'), junk),
    gateway: fc.oneof(fc.constant('10.83.1.1'), fc.constant('10.84.0.1'), junk),
    ipRange: fc.oneof(fc.constant('10.83.1.128/25'), junk),
    ipv6: fc.oneof(fc.constant({ subnet: 'fd83::/64' }), fc.constant({ subnet: 'fd83::/64', extra: 1 }), fc.constant({ subnet: 5 }), junk),
    internal: fc.oneof(fc.boolean(), junk),
    icc: fc.oneof(fc.boolean(), junk),
    masquerade: fc.oneof(fc.boolean(), junk),
    mtu: fc.oneof(fc.constant(1500), fc.constant(1000), fc.constant(68), fc.constant(67), fc.constant(1279), fc.constant(70000), fc.constant(1500.5), junk),
    bridge: fc.oneof(fc.constant('fz-br'), fc.constant('way-too-long-bridge-name'), fc.constant('bad/br'), fc.constant('br@x'), junk),
    hostBinding: fc.oneof(fc.constant('127.0.0.1'), fc.constant('nope'), junk),
    labels: fc.oneof(fc.constant({ a: 'b' }), fc.constant({ a: 1 }), junk),
    options: fc.oneof(
      fc.constant({ 'com.docker.network.driver.mtu': '1400' }),
      fc.constant({ 'com.docker.network.driver.mtu': 'x' }),
      fc.constant({ 'com.docker.network.bridge.enable_icc': 'maybe' }),
      fc.constant({ 'com.docker.network.unknown': '1' }),
      junk,
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
  expect(snapshot(), 'accepted and removed again, yet something is left').toBe(before);
}

beforeAll(async () => {
  assertSandbox();
  await Netns.remove(HOST, { ifExists: true });
  host = await Netns.create({ name: HOST });
  engine = await Engine.open({ host, ...root, dns: false });
  await engine.networks.create({ name: 'fuzz', subnet: '10.82.1.0/24' });
  await engine.sandboxes.create({ name: 'resident', network: 'fuzz', publish: ['8800:80'] });
});

afterAll(async () => {
  await engine?.close();
  await host?.delete();
  rmSync(scratch, { recursive: true, force: true });
  console.log(`fuzz: ${tally.inputs} inputs (${tally.accepted} accepted, ${tally.rejected} refused), ${tally.crashes} untyped errors, ${tally.changedOnReject} refusals that changed something`);
});

describe('fuzzed input', () => {
  it('sandboxes.create', async () => {
    await fc.assert(
      fc.asyncProperty(sandboxOptions, (o) => check(() => engine.sandboxes.create(o as never), (s) => engine.sandboxes.remove(s.id))),
      { seed: SEED, numRuns: 250 },
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
