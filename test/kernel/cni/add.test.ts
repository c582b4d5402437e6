// ADD through the installed plugin as a runtime execs it, on both of the
// shim's paths: a spec-valid result, the kernel state iproute2 and nft report,
// and bytes that cross — host to pod, pod to the outside (masqueraded), the
// outside to a published port (the client's address kept), hairpin — for
// IPv4 and IPv6, static addresses, a MAC, CNI_ARGS and port mapping forms.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns } from '../../../src/index.js';
import { ip, ipJson, nftJson } from '../support/witness.js';
import { exchange, serve } from '../model/support/traffic.js';
import type { Json } from './support/driver.js';
import { CniLab, HOST_WAN, HOST_WAN6, WAN_ADDR, WAN_ADDR6 } from './support/lab.js';

let lab: CniLab;

beforeAll(async () => {
  lab = await CniLab.open('cadd');
}, 120_000);

afterAll(async () => {
  await lab?.close();
});

/** The pod's end of the conversation: a server in its namespace for the length of `fn`. */
async function withServer<T>(ns: Netns, port: number, tag: string, fn: () => Promise<T>, address = '0.0.0.0'): Promise<T> {
  const server = await serve(ns, port, tag, address);
  try {
    return await fn();
  } finally {
    server.close();
  }
}

describe('VERSION and version negotiation', () => {
  it('lists 1.0.0 and 1.1.0 on both paths; a chain with 1.0.0-only plugins settles on 1.0.0', async () => {
    for (const d of [lab.daemon, lab.inProcess]) expect(await d.version('netplumb')).toEqual({ cniVersion: '1.1.0', supportedVersions: ['1.0.0', '1.1.0'] });
    // The shim's request reached netplumbd on its CNI socket (<socket>.cni), not over HTTP.
    expect(lab.cniRequests().at(-1)).toMatchObject({ command: 'VERSION', exitCode: 0, route: 'cni-socket' });
    expect(await lab.daemon.negotiate(lab.conflist('cadd-v', { subnet: '10.91.0.0/24' }))).toBe('1.1.0');
    const chain = lab.conflist('cadd-v', { subnet: '10.91.0.0/24' }, [{ type: 'tuning' }]);
    expect((await lab.daemon.version('tuning')).supportedVersions).not.toContain('1.1.0');
    expect(await lab.daemon.negotiate(chain)).toBe('1.0.0');
  });
});

describe('ADD', () => {
  it('answers with the bridge, host end and container interface, the address and the route, and the kernel has them', async () => {
    const list = lab.conflist('cadd', { subnet: '10.90.0.0/24', bridge: 'cadd0' });
    await lab.pod('cadd-p1');
    const r = await lab.daemon.add(list, lab.rt('c1', 'cadd-p1', 'eth0', { portMappings: [{ HostPort: 8080, ContainerPort: 80, Protocol: 'tcp', HostIP: '' }] }));
    const interfaces = r.interfaces as Json[];
    expect(r.cniVersion).toBe('1.1.0');
    expect(interfaces[0]).toEqual({ name: 'cadd0', mac: '02:42:0a:5a:00:01' });
    expect(interfaces[1]?.name).toMatch(/^npv[0-9a-f]{12}$/);
    expect(interfaces[1]?.sandbox).toBeUndefined();
    expect(interfaces[2]).toEqual({ name: 'eth0', mac: '02:42:0a:5a:00:02', sandbox: '/run/netns/cadd-p1' });
    expect(r.ips).toEqual([{ address: '10.90.0.2/24', gateway: '10.90.0.1', interface: 2 }]);
    expect(r.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.90.0.1' }]);

    const [eth0] = ipJson<{ address: string; operstate: string; addr_info: { local: string; prefixlen: number }[] }[]>('cadd-p1', 'addr', 'show', 'eth0');
    expect(eth0?.address).toBe('02:42:0a:5a:00:02');
    expect(eth0?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toContain('10.90.0.2/24');
    expect(ip('cadd-p1', 'route', 'show', 'default')).toContain('via 10.90.0.1 dev eth0');
    const [hostEnd] = ipJson<{ master: string; operstate: string }[]>(undefined, 'link', 'show', interfaces[1]?.name as string);
    expect(hostEnd?.master).toBe('cadd0');
    const elements = JSON.stringify(nftJson(undefined, 'list', 'map', 'inet', 'netplumb', 'any_ports4'));
    expect(elements).toContain('"10.90.0.2"');
    expect(elements).toContain('8080');
  });

  it('carries bytes host → pod, pod → outside (masqueraded), outside → the published port with the client address kept, and hairpin', async () => {
    const pod = await Netns.open({ path: '/run/netns/cadd-p1' });
    try {
      await withServer(pod, 80, 'pod', async () => {
        expect(await exchange(Netns.host(), '10.90.0.2', 80, 'from host')).toBe('pod saw 10.90.0.1: from host');
        expect(await exchange(lab.wan, HOST_WAN, 8080, 'from wan')).toBe(`pod saw ${WAN_ADDR}: from wan`);
        // Hairpin: the pod reaches its own published port through the host address, answered from the bridge side.
        expect(await exchange(pod, HOST_WAN, 8080, 'from itself')).toBe('pod saw 10.90.0.1: from itself');
      });
      await withServer(lab.wan, 9000, 'wan', async () => {
        expect(await exchange(pod, WAN_ADDR, 9000, 'from pod')).toBe(`wan saw ${HOST_WAN}: from pod`);
      });
    } finally {
      pod.close();
    }
  });

  it('gives the same answers through the daemon and in-process', async () => {
    const list = lab.conflist('cadd', { subnet: '10.90.0.0/24', bridge: 'cadd0' });
    await lab.pod('cadd-same');
    const rt = { ...lab.rt('same', 'cadd-same'), capabilityArgs: { ips: ['10.90.0.50'], portMappings: [{ hostPort: 8090, containerPort: 90, protocol: 'udp' }] } };
    const answers: string[] = [];
    await lab.eachPath(async (d) => {
      const added = await d.add(list, rt);
      await d.check(list, rt);
      const again = await d.exec('netplumb', 'ADD', { ...list.plugins[0], name: list.name, cniVersion: '1.1.0' }, rt);
      await d.del(list, rt);
      await d.del(list, rt);
      const bad = await d.exec('netplumb', 'ADD', { name: 'x', cniVersion: '1.1.0' }, rt);
      answers.push(JSON.stringify([added, again.exitCode, again.stdout, bad.exitCode, bad.stdout]).replace(/npv[0-9a-f]{12}/g, 'npvX'));
      // The daemon deletes a DEL's veth pair in the background; the in-process path, in another process, adds eth0 there next.
      await lab.settle();
    });
    expect(answers[1]).toBe(answers[0]);
    expect(answers[0]).toContain('10.90.0.50/24');
  });
});

describe('IPv6', () => {
  it('gives a dual-stack pod both addresses and default routes, and publishes on both families', async () => {
    const list = lab.conflist('cadd6', { subnet: ['10.89.0.0/24', 'fd00:89::/64'] });
    const pod = await lab.pod('cadd-p6');
    const r = await lab.withoutDaemon(() => lab.inProcess.add(list, lab.rt('c6', 'cadd-p6', 'eth0', { portMappings: [{ hostPort: 8086, containerPort: 86, protocol: 'tcp' }] })));
    expect(r.ips).toEqual([
      { address: '10.89.0.2/24', gateway: '10.89.0.1', interface: 2 },
      { address: 'fd00:89::2/64', gateway: 'fd00:89::1', interface: 2 },
    ]);
    expect(r.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.89.0.1' }, { dst: '::/0', gw: 'fd00:89::1' }]);
    expect(ip('cadd-p6', '-6', 'route', 'show', 'default')).toContain('via fd00:89::1 dev eth0');
    await withServer(pod, 86, 'pod6', async () => {
      // The first IPv6 packets after the links came up can take a retransmission (neighbour discovery).
      expect(await exchange(lab.wan, HOST_WAN6, 8086, 'v6', 5000)).toBe(`pod6 saw ${WAN_ADDR6}: v6`);
      expect(await exchange(lab.wan, HOST_WAN, 8086, 'v4')).toBe(`pod6 saw ::ffff:${WAN_ADDR}: v4`);
    }, '::');
    await lab.withoutDaemon(() => lab.inProcess.del(list, lab.rt('c6', 'cadd-p6')));
  });
});

describe('static addresses, MAC and CNI_ARGS', () => {
  it('takes the ips capability, the mac capability, CNI_ARGS IP with IgnoreUnknown and K8S_POD_* keys', async () => {
    const list = lab.conflist('cadd', { subnet: '10.90.0.0/24', bridge: 'cadd0' });
    await lab.pod('cadd-s1');
    await lab.pod('cadd-s2');
    const a = await lab.daemon.add(list, lab.rt('s1', 'cadd-s1', 'eth0', { ips: ['10.90.0.77/24'], mac: '02:00:00:00:77:01' }));
    expect((a.ips as Json[])[0]?.address).toBe('10.90.0.77/24');
    expect((a.interfaces as Json[])[2]?.mac).toBe('02:00:00:00:77:01');
    expect(ipJson<{ address: string }[]>('cadd-s1', 'link', 'show', 'eth0')[0]?.address).toBe('02:00:00:00:77:01');
    const args: [string, string][] = [['IgnoreUnknown', '1'], ['K8S_POD_NAMESPACE', 'default'], ['K8S_POD_NAME', 'web'], ['K8S_POD_INFRA_CONTAINER_ID', 's2'], ['IP', '10.90.0.78'], ['SOMETHING', 'else']];
    const b = await lab.daemon.add(list, { ...lab.rt('s2', 'cadd-s2'), args });
    expect((b.ips as Json[])[0]?.address).toBe('10.90.0.78/24');
    expect(ip('cadd-s2', 'addr', 'show', 'eth0')).toContain('10.90.0.78/24');
    await lab.daemon.del(list, lab.rt('s1', 'cadd-s1'));
    await lab.daemon.del(list, { ...lab.rt('s2', 'cadd-s2'), args });
  });
});

describe('port mappings', () => {
  it('publishes udp on one host address, a tcp range one to one, and sctp, each as one map element', async () => {
    const list = lab.conflist('cadd', { subnet: '10.90.0.0/24', bridge: 'cadd0' });
    const pod = await lab.pod('cadd-pm');
    const portMappings = [
      { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: HOST_WAN },
      { hostPort: 9100, containerPort: 100, protocol: 'tcp', range: 2 },
      { hostPort: 9132, containerPort: 132, protocol: 'sctp' },
    ];
    const r = await lab.daemon.add(list, lab.rt('pm', 'cadd-pm', 'eth0', { portMappings }));
    const podIp = ((r.ips as Json[])[0]?.address as string).split('/')[0]!;
    const ports4 = JSON.stringify(nftJson(undefined, 'list', 'map', 'inet', 'netplumb', 'ports4'));
    expect(ports4).toContain(HOST_WAN);
    expect(ports4).toContain('5353');
    const any4 = JSON.stringify(nftJson(undefined, 'list', 'map', 'inet', 'netplumb', 'any_ports4'));
    for (const p of ['9100', '9101', '9132', 'sctp']) expect(any4).toContain(p);
    for (const [hostPort, port] of [[9100, 100], [9101, 101]] as const)
      await withServer(pod, port, `pod:${port}`, async () => {
        expect(await exchange(lab.wan, HOST_WAN, hostPort, 'x')).toBe(`pod:${port} saw ${WAN_ADDR}: x`);
      });
    const { bindUdp } = await import('../../../src/index.js');
    const udp = await bindUdp(pod, { address: podIp, port: 53 });
    udp.on('message', (m, from) => udp.send(Buffer.from(`udp saw ${from.address}: ${m.toString()}`), from.port, from.address));
    const client = await bindUdp(lab.wan, { address: WAN_ADDR, port: 0 });
    try {
      const reply = new Promise<string>((resolve) => client.once('message', (m) => resolve(m.toString())));
      client.send('hello', 5353, HOST_WAN);
      expect(await reply).toBe(`udp saw ${WAN_ADDR}: hello`);
    } finally {
      udp.close();
      client.close();
    }
    await lab.daemon.del(list, lab.rt('pm', 'cadd-pm'));
    expect(JSON.stringify(nftJson(undefined, 'list', 'map', 'inet', 'netplumb', 'any_ports4'))).not.toContain('9132');
  });
});

describe('isolation, MTU and DNS', () => {
  it('keeps two networks apart (but for published ports), gives the veth the MTU, and passes DNS through to the result', async () => {
    const a = lab.conflist('cadd', { subnet: '10.90.0.0/24', bridge: 'cadd0' });
    const b = lab.conflist('cadd-iso', { subnet: '10.88.7.0/24', mtu: 1400, dns: { nameservers: ['10.88.7.1'], search: ['pods.local'], options: ['ndots:2'] } });
    const podA = await lab.pod('cadd-ia');
    const podB = await lab.pod('cadd-ib');
    const ra = await lab.daemon.add(a, lab.rt('ia', 'cadd-ia'));
    const rb = await lab.daemon.add(b, lab.rt('ib', 'cadd-ib', 'eth0', { portMappings: [{ hostPort: 8097, containerPort: 97 }] }));
    expect(rb.dns).toEqual({ nameservers: ['10.88.7.1'], search: ['pods.local'], options: ['ndots:2'] });
    expect((rb.interfaces as Json[]).map((i) => i.mtu)).toEqual([1400, 1400, 1400]);
    expect(ipJson<{ mtu: number }[]>('cadd-ib', 'link', 'show', 'eth0')[0]?.mtu).toBe(1400);
    const addrB = ((rb.ips as Json[])[0]?.address as string).split('/')[0]!;
    expect(((ra.ips as Json[])[0]?.address as string).startsWith('10.90.0.')).toBe(true);
    await withServer(podB, 97, 'b', async () => {
      await expect(exchange(podA, addrB, 97, 'direct', 1000)).rejects.toThrow(/timed out/);
      // Through the host's published port it is reachable, masqueraded into network b (its gateway is the source).
      expect(await exchange(podA, HOST_WAN, 8097, 'published')).toBe('b saw 10.88.7.1: published');
    });
    await lab.daemon.del(a, lab.rt('ia', 'cadd-ia'));
    await lab.daemon.del(b, lab.rt('ib', 'cadd-ib'));
  });
});
