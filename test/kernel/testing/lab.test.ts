// The lab as the user writes it: a service in one sandbox, a client in
// another, a published port, DNS names, an outside — proved with bytes that
// crossed namespaces and with iproute2 run inside the lab's namespaces.
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabSandbox } from '../../../src/testing/index.js';
import { assertSandbox } from '../support/witness.js';
import { httpServer, ipIn, ipv4In } from './support.js';

let lab: Lab;
let api: LabSandbox;
let client: LabSandbox;

beforeAll(async () => {
  assertSandbox();
  lab = await Lab.open({ networks: { app: { subnet: '10.123.0.0/24' } }, outside: { names: ['api.example.test'] } });
  api = await lab.sandbox('api', { publish: ['18080:8080'], aliases: ['api.internal'] });
  client = await lab.sandbox('client');
  await api.serve(httpServer((req) => `api ${req.url} from ${req.socket.remoteAddress}`), 8080);
});
afterAll(() => lab?.close());

describe('a lab', () => {
  it('fetches from one sandbox to another by the name the network DNS answers', async () => {
    const res = await client.fetch('http://api:8080/health');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`api /health from ${client.address}`);
    // The alias too, and what the resolver used: the network's responder on its gateway.
    expect(await (await client.fetch('http://api.internal:8080/a')).text()).toBe(`api /a from ${client.address}`);
    expect(await client.resolve('api')).toEqual([api.address]);
  });

  it("execs inside a sandbox with its hosts and resolv.conf, and its addresses as the kernel reports them", async () => {
    const out = await client.exec(['sh', '-c', 'getent hosts api; getent hosts api.example.test; grep ^nameserver /etc/resolv.conf; ip -j -4 addr show dev eth0']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const [apiLine, outsideLine, nameserver, json] = out.stdout.trim().split('\n');
    expect(apiLine).toMatch(new RegExp(`^${api.address.replace(/\./g, '\\.')}\\s+api`));
    expect(outsideLine).toMatch(/^198\.51\.100\.1\s+api\.example\.test/);
    const gateway = (await client.inspect()).networks[0]!.gateway;
    expect(nameserver).toBe(`nameserver ${gateway}`);
    const info = await client.inspect();
    expect(ipv4In(info.netnsPath)).toEqual(['10.123.0.3', '127.0.0.1']);
    expect((JSON.parse(json!) as { addr_info: { local: string }[] }[])[0]!.addr_info[0]!.local).toBe(client.address);
  });

  it('reaches the published port from the host through 127.0.0.1 and from the outside through the host address', async () => {
    expect(await (await lab.host.fetch('http://127.0.0.1:18080/h')).text()).toMatch(/^api \/h from /);
    const viaOutside = await (await lab.outside.fetch(`http://${lab.host.address}:18080/o`)).text();
    // DNAT only: the outside's own address arrives at the service.
    expect(viaOutside).toBe(`api /o from ${lab.outside.address}`);
  });

  it("sends a sandbox's traffic to the outside masqueraded as the host, and resolves the outside's names", async () => {
    await lab.outside.serve(httpServer((req) => `outside saw ${req.socket.remoteAddress}`), 80);
    expect(await (await api.fetch('http://api.example.test/')).text()).toBe(`outside saw ${lab.host.address}`);
    const fromHost = await lab.host.exec(['getent', 'hosts', 'api.example.test']);
    expect(fromHost.stdout).toMatch(/^198\.51\.100\.1\s/);
  });

  it('has its host and outside as namespaces of their own: the uplink, the bridge, the default route', async () => {
    const hostPath = join(lab.root, 'netns', 'host');
    expect(ipv4In(hostPath)).toEqual(['10.123.0.1', '127.0.0.1', '198.51.100.2']);
    expect(ipIn<{ dst: string; gateway?: string }[]>(hostPath, 'route', 'show', 'default')).toEqual([expect.objectContaining({ dst: 'default', gateway: '198.51.100.1' })]);
    expect(ipv4In(join(lab.root, 'netns', 'outside'))).toEqual(['127.0.0.1', '198.51.100.1']);
    const out = await lab.outside.exec(['ip', '-br', '-4', 'addr', 'show', 'dev', 'eth0']);
    expect(out.stdout).toMatch(/198\.51\.100\.1\/24/);
  });

  it('connects over TCP and UDP from inside, names resolved there', async () => {
    const echo = await api.bindUdp({ port: 5353 });
    echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('echo '), m]), r.port, r.address));
    const udp = await client.bindUdp();
    udp.send('ping', 5353, api.address);
    const [reply] = (await once(udp, 'message')) as [Buffer];
    expect(String(reply)).toBe('echo ping');
    const socket = await client.connect(8080, 'api');
    socket.end('GET /tcp HTTP/1.0\r\n\r\n');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    await once(socket, 'end');
    expect(Buffer.concat(chunks).toString()).toMatch(/api \/tcp from 10\.123\.0\.3$/);
  });

  it("spawns with Node's stdio, cwd and env, in the sandbox", async () => {
    const child = client.spawn(['sh', '-c', 'read x; echo "$x $GREETING $(pwd)"; ip -br -4 addr show dev eth0'], { cwd: '/tmp', env: { ...process.env, GREETING: 'hi' } });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stdin!.end('typed\n');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^typed hi /tmp\\neth0\\S*\\s+UP\\s+${client.address.replace(/\./g, '\\.')}/24`));
  });

  it('says what is wrong with a name that nothing answers', async () => {
    await expect(client.fetch('http://no-such-service:8080/')).rejects.toThrow(/fetch failed/);
    await expect(client.resolve('no-such-service')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(() => lab.get('nobody')).toThrow(/no sandbox by that name/);
  });
});
