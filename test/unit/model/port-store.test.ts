// Published ports as one document per host port (issue 14): a port's
// holders are one read, adding and removing touch only their own ports'
// documents, a damaged document is a StateError that adding and removing
// leave for reconcile, and reconcile's rebuild makes the documents match the
// records (dropping the old one-document index). resolvePorts asks per port.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, StateError } from '../../../src/core/errors.js';
import { parsePortSpec } from '../../../src/addressing/port-spec.js';
import { StateStore } from '../../../src/store/state-store.js';
import { PortStore, type TakenPort } from '../../../src/model/state/port-store.js';
import { resolvePorts } from '../../../src/model/sandboxes/ports.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store(): { ports: PortStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'np-ports-'));
  dirs.push(dir);
  return { ports: new PortStore(new StateStore(dir, 'boot')), dir };
}

/** An endpoint id as the records hold them (64 hex digits), from a short tag. */
const ep = (tag: string): string => Buffer.from(tag).toString('hex').padEnd(64, '0');

const taken = (hostPort: number, endpoint: string, extra: Partial<TakenPort> = {}): TakenPort => ({
  protocol: 'tcp',
  hostPort,
  containerPort: 80,
  sandbox: `s-${endpoint}`,
  endpoint: ep(endpoint),
  ...extra,
});

describe('PortStore', () => {
  it('keeps one document per host port, with every binding of that port', async () => {
    const { ports, dir } = store();
    expect(ports.holders('tcp', 8080)).toEqual([]);
    await ports.add([taken(8080, 'e1', { hostIp: '10.0.0.1' }), taken(8081, 'e1')]);
    await ports.add([taken(8080, 'e2', { hostIp: '10.0.0.2' })]);
    expect(readdirSync(join(dir, 'ports')).sort()).toEqual(['tcp-8080.json', 'tcp-8081.json']);
    expect(ports.holders('tcp', 8080).map((p) => p.sandbox)).toEqual(['s-e1', 's-e2']);
    expect(ports.holders('udp', 8080)).toEqual([]);

    await ports.remove([taken(8080, 'e1'), taken(8081, 'e1')]);
    expect(readdirSync(join(dir, 'ports'))).toEqual(['tcp-8080.json']);
    expect(ports.holders('tcp', 8080).map((p) => p.sandbox)).toEqual(['s-e2']);
  });

  it('a damaged document is a StateError naming it; adding and removing leave it for reconcile', async () => {
    const { ports, dir } = store();
    await ports.add([taken(8080, 'e1')]);
    const file = join(dir, 'ports', 'tcp-8080.json');
    for (const bad of ['', '[{"protocol":"tcp"', 'null\n', `${JSON.stringify([taken(9090, 'e1')])}\n`]) {
      writeFileSync(file, bad);
      let err: unknown;
      try {
        ports.holders('tcp', 8080);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StateError);
      expect(err).toMatchObject({ file });
      await ports.add([taken(8080, 'e2', { hostIp: '10.0.0.2' })]);
      await ports.remove([taken(8080, 'e1')]);
      expect(readFileSync(file, 'utf8')).toBe(bad);
      expect((await ports.all()).damaged).toEqual([expect.objectContaining({ id: 'tcp-8080', file })]);
    }
  });

  it('rebuilds the documents from the records, dropping the old single index and damaged documents', async () => {
    const { ports, dir } = store();
    await ports.add([taken(7000, 'gone'), taken(7001, 'kept')]);
    mkdirSync(join(dir, 'ports'), { recursive: true });
    writeFileSync(join(dir, 'ports', 'published.json'), JSON.stringify([taken(7000, 'gone')]));
    writeFileSync(join(dir, 'ports', 'tcp-7002.json'), 'null\n');
    const changed = await ports.rebuild([taken(7001, 'kept'), taken(7002, 'new')]);
    expect(changed.sort()).toEqual(['published', 'tcp-7000', 'tcp-7002']);
    expect(readdirSync(join(dir, 'ports')).sort()).toEqual(['tcp-7001.json', 'tcp-7002.json']);
    const all = await ports.all();
    expect(all.ports.map((p) => p.sandbox).sort()).toEqual(['s-kept', 's-new']);
    expect(all.damaged).toEqual([]);
    expect(await ports.rebuild([taken(7001, 'kept'), taken(7002, 'new')])).toEqual([]);
  });
});

describe('resolvePorts', () => {
  const holders = (list: TakenPort[]) => (protocol: string, port: number) => list.filter((p) => p.protocol === protocol && p.hostPort === port);

  it('refuses a fixed port another endpoint publishes on an overlapping address, naming it', () => {
    const busy = holders([taken(8080, 'e1')]);
    expect(() => resolvePorts(parsePortSpec('8080:80'), busy)).toThrow(ConflictError);
    expect(() => resolvePorts(parsePortSpec('8080:80'), busy)).toThrow(/by 's-e1'/);
    expect(resolvePorts(parsePortSpec('8080:80/udp'), busy)).toEqual([{ protocol: 'udp', hostPort: 8080, containerPort: 80 }]);
    expect(resolvePorts(parsePortSpec('10.0.0.9:8080:80'), holders([taken(8080, 'e1', { hostIp: '10.0.0.1' })]))).toEqual([
      { protocol: 'tcp', hostIp: '10.0.0.9', hostPort: 8080, containerPort: 80 },
    ]);
  });

  it('lets one request collide with itself, avoids host listeners, and picks random ports among the free ones', () => {
    expect(() => resolvePorts([...parsePortSpec('9000:80'), ...parsePortSpec('9000:81')], holders([]))).toThrow(/by this sandbox/);
    expect(() => resolvePorts(parsePortSpec('9001:80'), holders([]), { busy: [{ protocol: 'tcp', hostPort: 9001, by: 'sshd' }] })).toThrow(/in use on the host: sshd/);
    const busy = holders(Array.from({ length: 9 }, (_, i) => taken(20000 + i, `e${i}`)));
    const got = resolvePorts(parsePortSpec('80'), busy, { ephemeral: { start: 20000, end: 20009 } });
    expect(got).toEqual([{ protocol: 'tcp', hostPort: 20009, containerPort: 80 }]);
  });
});
