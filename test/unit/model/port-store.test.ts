// Published ports as one document per host port (issue 14): a port's
// holders are one read, adding and removing touch only their own ports'
// documents, and reconcile's rebuild makes the documents match the records
// (dropping the old one-document index). resolvePorts asks per port.
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/core/errors.js';
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

const taken = (hostPort: number, endpoint: string, extra: Partial<TakenPort> = {}): TakenPort => ({
  protocol: 'tcp',
  hostPort,
  containerPort: 80,
  sandbox: `s-${endpoint}`,
  endpoint,
  ...extra,
});

describe('PortStore', () => {
  it('keeps one document per host port, with every binding of that port', async () => {
    const { ports, dir } = store();
    expect(ports.holders('tcp', 8080)).toEqual([]);
    await ports.add([taken(8080, 'e1', { hostIp: '10.0.0.1' }), taken(8081, 'e1')]);
    await ports.add([taken(8080, 'e2', { hostIp: '10.0.0.2' })]);
    expect(readdirSync(join(dir, 'ports')).sort()).toEqual(['tcp-8080.json', 'tcp-8081.json']);
    expect(ports.holders('tcp', 8080).map((p) => p.endpoint)).toEqual(['e1', 'e2']);
    expect(ports.holders('udp', 8080)).toEqual([]);

    await ports.remove([taken(8080, 'e1'), taken(8081, 'e1')]);
    expect(readdirSync(join(dir, 'ports'))).toEqual(['tcp-8080.json']);
    expect(ports.holders('tcp', 8080).map((p) => p.endpoint)).toEqual(['e2']);
  });

  it('rebuilds the documents from the records, dropping the old single index', async () => {
    const { ports, dir } = store();
    await ports.add([taken(7000, 'gone'), taken(7001, 'kept')]);
    mkdirSync(join(dir, 'ports'), { recursive: true });
    writeFileSync(join(dir, 'ports', 'published.json'), JSON.stringify([taken(7000, 'gone')]));
    await ports.rebuild([taken(7001, 'kept'), taken(7002, 'new')]);
    expect(readdirSync(join(dir, 'ports')).sort()).toEqual(['tcp-7001.json', 'tcp-7002.json']);
    expect((await ports.all()).map((p) => p.endpoint).sort()).toEqual(['kept', 'new']);
  });
});

describe('resolvePorts', () => {
  const holders = (list: TakenPort[]) => (protocol: string, port: number) => list.filter((p) => p.protocol === protocol && p.hostPort === port);

  it('refuses a fixed port another endpoint publishes on an overlapping address, naming it', () => {
    const busy = holders([taken(8080, 'e1')]);
    expect(() => resolvePorts(parsePortSpec('8080:80'), busy)).toThrow(ConflictError);
    expect(() => resolvePorts(parsePortSpec('8080:80'), busy)).toThrow(/by 's-e1'/);
    expect(resolvePorts(parsePortSpec('8080:80/udp'), busy)).toEqual([{ protocol: 'udp', hostPort: 8080, containerPort: 80 }]);
  });

  it('lets one request collide with itself, and picks random ports among the free ones', () => {
    expect(() => resolvePorts([...parsePortSpec('9000:80'), ...parsePortSpec('9000:81')], holders([]))).toThrow(/by this sandbox/);
    const busy = holders(Array.from({ length: 9 }, (_, i) => taken(20000 + i, `e${i}`)));
    const got = resolvePorts(parsePortSpec('80'), busy, { ephemeral: { start: 20000, end: 20009 } });
    expect(got).toEqual([{ protocol: 'tcp', hostPort: 20009, containerPort: 80 }]);
  });
});
