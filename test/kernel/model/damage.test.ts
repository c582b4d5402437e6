// Damaged state files (issue 10): one file of each kind — network document,
// sandbox record, name index entry, IPAM entry, IPAM cursor, port document,
// lock — made empty, cut short, random bytes or `null`. Engine.open still
// works; every other network and sandbox keeps working (with traffic); what
// needs the damaged file fails with a StateError naming it (or, where the
// file can be rebuilt from the others, works on); nothing throws an untyped
// error; and reconcile() repairs what it can and quarantines the rest, after
// which nothing is leaked or broken.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NetplumbError, Netns, StateError } from '../../../src/index.js';
import { Engine, type SandboxInfo } from '../../../src/model/index.js';
import { assertSandbox } from '../support/witness.js';
import { audit, type Root } from './support/audit.js';

const HOST = 'np-dm-host';
let host: Netns;
const scratch = mkdtempSync(join(tmpdir(), 'np-dm-'));
let count = 0;

const KINDS = ['network document', 'sandbox record', 'name index entry', 'IPAM entry', 'IPAM cursor', 'port document', 'lock'] as const;
type Kind = (typeof KINDS)[number];
const DAMAGES: Record<string, (text: string) => string | Buffer> = {
  empty: () => '',
  'cut short': (text) => text.slice(0, Math.max(1, Math.floor(text.length / 2))),
  'random bytes': () => randomBytes(48),
  null: () => 'null\n',
};

interface Setup {
  root: Root;
  n1: string;
  n2: string;
  s1: SandboxInfo;
  s2: SandboxInfo;
}

async function setup(): Promise<Setup> {
  const dir = join(scratch, `r${++count}`);
  const root = { stateDir: join(dir, 'state'), etcDir: join(dir, 'etc') };
  const e = await Engine.open({ host, ...root, dns: false });
  try {
    const n1 = (await e.networks.create({ name: 'dn1', subnet: '10.81.1.0/24' })).Id;
    const n2 = (await e.networks.create({ name: 'dn2', subnet: '10.81.2.0/24' })).Id;
    const s1 = await e.sandboxes.create({ name: 's1', network: 'dn1', publish: ['8701:80'] });
    const s2 = await e.sandboxes.create({ name: 's2', network: 'dn2', publish: ['8702:80'] });
    return { root, n1, n2, s1, s2 };
  } finally {
    await e.close();
  }
}

function fileOf(kind: Kind, s: Setup): string {
  const run = join(s.root.stateDir, 'run');
  switch (kind) {
    case 'network document': return join(s.root.stateDir, 'lib', 'networks', `${s.n1}.json`);
    case 'sandbox record': return join(run, 'sandboxes', `${s.s1.id}.json`);
    case 'name index entry': return join(run, 'sandbox-names', 's1.json');
    case 'IPAM entry': return join(run, 'ipam', s.n1, `${s.s1.networks[0]!.ipv4}.json`);
    case 'IPAM cursor': return join(run, 'ipam', s.n1, 'last.json');
    case 'port document': return join(run, 'ports', 'tcp-8701.json');
    case 'lock': return join(run, '.lock');
  }
}

/** Runs `fn`; an error it throws must be one of netplumb's typed errors, never a SyntaxError or TypeError. */
async function typed<T>(fn: () => Promise<T>): Promise<T | NetplumbError> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof NetplumbError)) throw new Error(`untyped ${(e as Error).name}: ${(e as Error).message}`);
    return e;
  }
}

beforeAll(async () => {
  assertSandbox();
  await Netns.remove(HOST, { ifExists: true });
  host = await Netns.create({ name: HOST });
});

afterAll(async () => {
  await host?.delete();
  rmSync(scratch, { recursive: true, force: true });
});

describe('a damaged state file of any kind', () => {
  for (const kind of KINDS)
    for (const [damage, make] of Object.entries(DAMAGES))
      it(`${kind}, ${damage}`, async () => {
        const s = await setup();
        const file = fileOf(kind, s);
        const original = existsSync(file) ? readFileSync(file, 'utf8') : '';
        const bad = make(original);
        writeFileSync(file, bad);

        // Engine.open works, and the other network and sandbox keep working.
        const e = await Engine.open({ host, ...s.root, dns: false });
        try {
          expect(await typed(() => e.sandboxes.inspect('s2'))).toMatchObject({ name: 's2' });
          const s3 = await typed(() => e.sandboxes.create({ name: 's3', network: 'dn2', publish: ['8703:80'] }));
          expect(s3).toMatchObject({ name: 's3' });
          expect((await e.networks.list()).map((n) => n.Name)).toContain('dn2');

          // What needs the damaged file.
          const onS1 = await typed(() => e.sandboxes.inspect('s1'));
          const onN1 = await typed(() => e.sandboxes.create({ name: 's4', network: s.n1, publish: ['8701:80'] }));
          if (kind === 'network document') {
            expect(onN1).toBeInstanceOf(StateError);
            expect(onN1).toMatchObject({ file });
            expect(e.damagedState.map((d) => d.file)).toContain(file);
          } else if (kind === 'sandbox record') {
            expect(onS1).toBeInstanceOf(StateError);
            expect(onS1).toMatchObject({ file });
            expect((onS1 as Error).message).toContain(file);
          } else {
            // Rebuilt from the other files (or, for the lock, taken over): s1 is found, and its port is still its own.
            expect(onS1).toMatchObject({ name: 's1' });
            expect(onN1).toBeInstanceOf(ConflictError);
          }

          const report = await e.reconcile();
          if (kind === 'network document' || kind === 'sandbox record') {
            expect(report.quarantined).toEqual([expect.objectContaining({ file })]);
            const q = report.quarantined[0]!;
            expect(readFileSync(q.movedTo)).toEqual(Buffer.from(bad));
          }
          const found = await audit(HOST, [s.root], { traffic: true });
          expect(found).toMatchObject({ leaked: [], broken: [] });
          const whole = found.sandboxes.sort();
          expect(whole).toEqual(kind === 'sandbox record' ? ['s2', 's3'] : ['s1', 's2', 's3']);
          if (kind === 'network document') expect((await e.sandboxes.inspect('s1')).networks).toEqual([]);

          // Everything can be removed afterwards, and then nothing is left.
          for (const sb of await e.sandboxes.list()) await e.sandboxes.remove(sb.id);
          for (const n of await e.networks.list()) await e.networks.remove(n.Id);
          expect(await audit(HOST, [s.root])).toMatchObject({ leaked: [], broken: [] });
        } finally {
          // After a failure too: the next case starts from an empty host.
          await e.reconcile().catch(() => undefined);
          for (const sb of await e.sandboxes.list().catch(() => [])) await e.sandboxes.remove(sb.id, { force: true }).catch(() => undefined);
          for (const n of await e.networks.list().catch(() => [])) await e.networks.remove(n.Id, { force: true }).catch(() => undefined);
          await e.close();
        }
      });
});
