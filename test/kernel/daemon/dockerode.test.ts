// dockerode (the Docker SDK for Node) drives netplumbd as it drives dockerd:
// networks created, listed with filters, inspected, connected to a sandbox
// and disconnected, pruned, events read; and its error objects carry
// dockerd's status codes (404, 409, 403, 400).
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipJson } from '../support/witness.js';
import { type DaemonInNamespace, daemonInNamespace, TestDaemon } from './support/daemon.js';

const HOST = 'npd-do-host';
let setup: DaemonInNamespace;
let daemon: TestDaemon;
let docker: Docker;

async function statusOf(p: Promise<unknown>): Promise<{ statusCode: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { statusCode: number; json?: { message?: string }; message: string };
    return { statusCode: err.statusCode, message: err.json?.message ?? err.message };
  }
  throw new Error('expected the request to fail');
}

beforeAll(async () => {
  setup = await daemonInNamespace(HOST);
  daemon = setup.daemon;
  docker = new Docker({ socketPath: daemon.socket });
}, 180_000);

afterAll(async () => {
  await setup?.cleanup();
});

describe('dockerode against netplumbd', () => {
  it('pings and reads the version', async () => {
    expect(String(await docker.ping())).toBe('OK');
    const v = await docker.version();
    expect(v.ApiVersion).toBe('1.41');
  });

  it('creates, lists with filters and inspects networks', async () => {
    const net = await docker.createNetwork({
      Name: 'donet',
      CheckDuplicate: true,
      Driver: 'bridge',
      Internal: false,
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.62.0.0/24', Gateway: '10.62.0.1', IPRange: '10.62.0.64/26' }] },
      Labels: { app: 'shop' },
      Options: { 'com.docker.network.bridge.name': 'do-br0' },
    });
    expect(net.id).toMatch(/^[0-9a-f]{64}$/);
    await docker.createNetwork({ Name: 'doint', Internal: true, Labels: { app: 'batch' } });
    const info = await docker.getNetwork('donet').inspect();
    expect(info).toMatchObject({
      Name: 'donet',
      Id: net.id,
      Driver: 'bridge',
      Scope: 'local',
      IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '10.62.0.0/24', IPRange: '10.62.0.64/26', Gateway: '10.62.0.1' }] },
      Internal: false,
      Containers: {},
      Options: { 'com.docker.network.bridge.name': 'do-br0' },
      Labels: { app: 'shop' },
    });
    const [br] = ipJson<{ addr_info: { local: string }[] }[]>(HOST, 'addr', 'show', 'dev', 'do-br0');
    expect(br?.addr_info.map((a) => a.local)).toContain('10.62.0.1');
    // dockerode sends filters as {"label":["app=shop"]}, the older form.
    expect((await docker.listNetworks({ filters: { label: ['app=shop'] } })).map((n) => n.Name)).toEqual(['donet']);
    expect((await docker.listNetworks({ filters: { type: ['builtin'] } })).map((n) => n.Name).sort()).toEqual(['bridge', 'host', 'none']);
    const none = await docker.getNetwork('none').inspect();
    expect(none).toMatchObject({ Name: 'none', Driver: 'null', IPAM: { Options: null, Config: [] } });
  });

  it('connects and disconnects a sandbox with a static address and aliases', async () => {
    const made = await daemon.cli(['create', '--name', 'dobox', '--network', 'none']);
    expect(made.code).toBe(0);
    const id = made.stdout.trim();
    const net = docker.getNetwork('donet');
    await net.connect({ Container: 'dobox', EndpointConfig: { IPAMConfig: { IPv4Address: '10.62.0.70' }, Aliases: ['shop-db'] } });
    const [eth0] = ipJson<{ addr_info: { local: string }[] }[]>(`np-${id.slice(0, 12)}`, 'addr', 'show', 'dev', 'eth0');
    expect(eth0?.addr_info.map((a) => a.local)).toContain('10.62.0.70');
    expect((await net.inspect()).Containers?.[id]).toMatchObject({ Name: 'dobox', IPv4Address: '10.62.0.70/24' });
    const again = await statusOf(net.connect({ Container: 'dobox' }));
    expect(again.statusCode).toBe(403);
    await net.disconnect({ Container: id, Force: false });
    expect((await net.inspect()).Containers).toEqual({});
    expect((await daemon.cli(['rm', 'dobox'])).code).toBe(0);
  });

  it("answers errors with dockerd's status codes", async () => {
    expect(await statusOf(docker.getNetwork('nosuch').inspect())).toEqual({ statusCode: 404, message: 'network nosuch not found' });
    expect((await statusOf(docker.createNetwork({ Name: 'donet' }))).statusCode).toBe(409);
    expect(await statusOf(docker.getNetwork('host').remove())).toEqual({ statusCode: 403, message: 'host is a pre-defined network and cannot be removed' });
    expect((await statusOf(docker.getNetwork('donet').connect({ Container: 'ghost' }))).statusCode).toBe(404);
    // A field of the wrong type, an unknown field, and a driver netplumb has not got: refused before anything is made.
    expect((await statusOf(docker.createNetwork({ Name: 'bad1', Internal: 'yes' as unknown as boolean }))).statusCode).toBe(400);
    expect((await statusOf(docker.createNetwork({ Name: 'bad2', Colour: 'red' } as unknown as Docker.NetworkCreateOptions)))).toMatchObject({ statusCode: 400, message: 'Colour: unknown field' });
    expect((await statusOf(docker.createNetwork({ Name: 'bad3', Driver: 'overlay' }))).statusCode).toBe(400);
    const tooNew = new Docker({ socketPath: daemon.socket, version: 'v1.99' });
    expect(await statusOf(tooNew.listNetworks())).toEqual({ statusCode: 400, message: 'client version 1.99 is too new. Maximum supported API version is 1.41' });
    expect((await docker.listNetworks()).map((n) => n.Name).filter((n) => n.startsWith('bad'))).toEqual([]);
  });

  it('prunes unused networks by label and removes the rest', async () => {
    const pruned = await docker.pruneNetworks({ filters: { label: ['app=batch'] } });
    expect(pruned).toEqual({ NetworksDeleted: ['doint'] });
    expect(await docker.pruneNetworks({ filters: { label: ['app=nothing'] } })).toEqual({ NetworksDeleted: null });
    await docker.getNetwork('donet').remove();
    expect((await docker.listNetworks({ filters: { type: ['custom'] } })).length).toBe(0);
  });

  it('reads the network events between since and until', async () => {
    const stream = (await docker.getEvents({ since: 0, until: Math.ceil(Date.now() / 1000), filters: { type: ['network'], network: ['donet'] } })) as NodeJS.ReadableStream;
    let text = '';
    for await (const chunk of stream) text += chunk.toString();
    const actions = text.trim().split('\n').map((l) => (JSON.parse(l) as { Action: string }).Action);
    expect(actions).toEqual(['create', 'connect', 'disconnect', 'destroy']);
  });
});
