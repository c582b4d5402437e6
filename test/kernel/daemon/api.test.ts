// Engine.connect gives what Engine.open gives, through netplumbd: the same
// calls with the same answers and the same error classes, the model's event
// stream, exec inside a sandbox; and the daemon's metrics count what was
// done. Engine.open on a state a daemon owns is refused and says where to go.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictError,
  DaemonRunningError,
  Engine,
  NoSuchObjectError,
  ValidationError,
  type ModelEvent,
  type RemoteEngine,
} from '../../../src/index.js';
import { exchange, serve } from '../model/support/traffic.js';
import { hostAndWan, type HostAndWan } from '../model/support/topology.js';
import { ipJson } from '../support/witness.js';
import { ensureBuilt, request, TestDaemon } from './support/daemon.js';
import { emptyReport } from '../../../src/model/reconcile/report.js';

let topology: HostAndWan;
let daemon: TestDaemon;
let engine: RemoteEngine;

beforeAll(async () => {
  ensureBuilt();
  topology = await hostAndWan({ host: 'npd-api-host', wan: 'npd-api-wan', hostAddress: '198.18.9.1', wanAddress: '198.18.9.2' });
  daemon = new TestDaemon({ netns: 'npd-api-host' });
  await daemon.start();
  engine = await Engine.connect({ socket: daemon.socket });
}, 180_000);

afterAll(async () => {
  await engine?.close();
  await daemon?.cleanup();
  await topology?.cleanup();
});

describe('Engine.connect', () => {
  it('says who the daemon is: its pid, state and /etc directories', () => {
    expect(engine.daemon.pid).toBe(daemon.child?.pid);
    expect(engine.stateDirs.runtime).toBe(`${daemon.stateDir}/run`);
    expect(engine.etcDir).toBe(daemon.etcDir);
  });

  it('makes networks and sandboxes with the answers Engine.open gives, and they carry traffic', async () => {
    const events: ModelEvent[] = [];
    const sub = engine.events();
    await sub.ready;
    const collecting = (async () => {
      for await (const e of sub) events.push(e);
    })();

    const net = await engine.networks.create({ name: 'apinet', subnet: '10.63.0.0/24', labels: { tier: 'web' } });
    expect(net).toMatchObject({ Name: 'apinet', Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.63.0.0/24', Gateway: '10.63.0.1' }] }, Labels: { tier: 'web' } });
    const a1 = await engine.sandboxes.create({ name: 'a1', network: 'apinet', publish: ['8081:80'], aliases: ['alpha'] });
    expect(a1).toMatchObject({ name: 'a1', mode: 'bridge', networks: [{ network: 'apinet', ipv4: '10.63.0.2', aliases: ['alpha'] }], ports: [{ protocol: 'tcp', hostPort: 8081, containerPort: 80 }] });
    expect(await engine.sandboxes.ports('a1')).toEqual(a1.ports);
    expect((await engine.sandboxes.inspect(a1.id.slice(0, 12))).name).toBe('a1');
    expect((await engine.sandboxes.list()).map((s) => s.name)).toEqual(['a1']);
    expect(Object.keys((await engine.networks.inspect('apinet')).Containers)).toEqual([a1.id]);

    // The published port, from the wan through the daemon's host.
    const ns = await engine.sandboxes.netns('a1');
    const server = await serve(ns, 80, 'a1');
    try {
      expect(await exchange(topology.wan, '198.18.9.1', 8081, 'via the port')).toBe('a1 saw 198.18.9.2: via the port');
    } finally {
      server.close();
      ns.close();
    }

    const ran = await engine.sandboxes.exec('a1', ['ip', '-j', 'addr', 'show', 'dev', 'eth0']);
    expect(ran.code).toBe(0);
    expect(JSON.stringify(JSON.parse(ran.stdout))).toContain('"local":"10.63.0.2"');
    expect(await engine.sandboxes.exec('a1', ['sh', '-c', 'cat; exit 3'], { input: 'in' })).toEqual(expect.objectContaining({ code: 3, stdout: 'in' }));

    await engine.networks.create({ name: 'apinet2', subnet: '10.64.0.0/24' });
    const both = await engine.sandboxes.connect('a1', 'apinet2', { ip: '10.64.0.9' });
    expect(both.networks.map((n) => `${n.ifname} ${n.ipv4}`)).toEqual(['eth0 10.63.0.2', 'eth1 10.64.0.9']);
    expect((await engine.sandboxes.disconnect('a1', 'apinet2')).networks.length).toBe(1);
    await engine.sandboxes.remove('a1');
    await engine.networks.remove('apinet2');
    expect(await engine.networks.prune()).toEqual(['apinet']);

    await expect.poll(() => events.length).toBeGreaterThanOrEqual(12);
    sub.close();
    await collecting;
    expect(events.map((e) => `${e.type} ${e.action}`)).toEqual([
      'network create',
      'sandbox create',
      'endpoint create',
      'port publish',
      'network create',
      'endpoint create',
      'endpoint remove',
      'port unpublish',
      'endpoint remove',
      'sandbox remove',
      'network remove',
      'network remove',
    ]);
    expect(events[3]).toMatchObject({ type: 'port', sandbox: { id: a1.id, name: 'a1' }, port: { hostPort: 8081, containerPort: 80 } });
  });

  it('throws the error classes Engine.open throws, with their fields', async () => {
    await engine.networks.create({ name: 'errnet', subnet: '10.65.0.0/24' });
    const missing = await engine.sandboxes.inspect('ghost').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NoSuchObjectError);
    expect(missing).toMatchObject({ kind: 'sandbox', ref: 'ghost', message: "sandbox 'ghost' not found" });
    const taken = await engine.networks.create({ name: 'errnet' }).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(ConflictError);
    expect(taken).toMatchObject({ reason: 'name-in-use' });
    const bad = await engine.networks.create({ name: 'badnet', subnet: 'foo' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad).toMatchObject({ field: 'subnet' });
    const port = await engine.sandboxes.create({ name: 'p1', network: 'errnet', publish: ['9000:80'] });
    const clash = await engine.sandboxes.create({ name: 'p2', network: 'errnet', publish: ['9000:80'] }).catch((e: unknown) => e);
    expect(clash).toMatchObject({ name: 'ConflictError', reason: 'port-in-use' });
    expect((await engine.sandboxes.list()).map((s) => s.name)).toEqual(['p1']);
    await engine.sandboxes.remove(port.id);
    await engine.networks.remove('errnet');
  });

  it('a create sent again with the same idempotency key gets the first sandbox, not a second', async () => {
    await engine.networks.create({ name: 'idnet', subnet: '10.66.0.0/24' });
    const first = await engine.sandboxes.create({ network: 'idnet', idempotencyKey: 'req-1' });
    const again = await engine.sandboxes.create({ network: 'idnet', idempotencyKey: 'req-1' });
    expect(again.id).toBe(first.id);
    expect((await engine.sandboxes.list()).length).toBe(1);
    await engine.sandboxes.remove(first.id);
    const fresh = await engine.sandboxes.create({ network: 'idnet', idempotencyKey: 'req-1' });
    expect(fresh.id).not.toBe(first.id);
    await engine.sandboxes.remove(fresh.id);
    await engine.networks.remove('idnet');
  });

  it('reconciles on demand and reports nothing to repair', async () => {
    // The kernel deletes a removed sandbox's veth pairs in the background; reconcile would count a host end still there.
    await expect.poll(() => ipJson<{ ifname: string }[]>('npd-api-host', 'link', 'show').filter((l) => l.ifname.startsWith('npv')).length, { timeout: 10_000 }).toBe(0);
    expect(await engine.reconcile()).toEqual(emptyReport());
  });

  it('Engine.open on the daemon\'s state is refused and points to Engine.connect', async () => {
    const e = await Engine.open({ stateDir: daemon.stateDir, dns: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DaemonRunningError);
    expect(e).toMatchObject({ pid: daemon.child?.pid, socket: `unix://${daemon.socket}` });
    expect((e as Error).message).toContain('Engine.connect');
  });
});

describe('metrics', () => {
  it('counts operations with their latency, and shows what exists', async () => {
    await engine.networks.create({ name: 'metnet', subnet: '10.67.0.0/24' });
    await engine.sandboxes.create({ name: 'm1', network: 'metnet', publish: ['8090:80', '8091:81'] });
    const m = await request(daemon.socket, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.text).toMatch(/^netplumb_operations_total\{operation="sandbox_create",outcome="ok"\} [1-9]\d*$/m);
    expect(m.text).toMatch(/^netplumb_operations_total\{operation="network_create",outcome="ConflictError"\} 1$/m);
    expect(m.text).toMatch(/^netplumb_operation_duration_seconds_count\{operation="sandbox_create"\} [1-9]\d*$/m);
    expect(m.text).toMatch(/^netplumb_sandboxes 1$/m);
    expect(m.text).toMatch(/^netplumb_published_ports 2$/m);
    expect(m.text).toMatch(/^netplumb_networks 2$/m);
    expect(m.text).toMatch(/^netplumb_firewall_repairs_total 0$/m);
    expect(m.text).toMatch(/^netplumb_http_requests_total\{method="POST",route="POST \/netplumb\/v1\/sandboxes",status="201"\} [1-9]\d*$/m);
    expect(m.text).toMatch(/^netplumbd_process_resident_memory_bytes \d+/m);
    await engine.sandboxes.remove('m1');
    await engine.networks.remove('metnet');
  });

  it('logs every request as one JSON line with its duration', () => {
    const line = daemon.logs().find((l) => (l.route as string | undefined) === 'POST /netplumb/v1/sandboxes');
    expect(line).toMatchObject({ level: 'info', name: 'netplumbd', msg: 'request', req: { method: 'POST', url: '/netplumb/v1/sandboxes' }, res: { status: 201 } });
    expect(line?.durationMs).toBeTypeOf('number');
  });
});
