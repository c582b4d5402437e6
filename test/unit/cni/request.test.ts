// The checks a CNI request passes before anything touches the kernel: the
// environment (code 4), stdin (6), the version (1), the network config (7,
// and 2 for what netplumb cannot do), CNI_ARGS and the runtime's capability
// arguments. No privileges: these never reach an engine.
import { describe, expect, it } from 'vitest';
import { CniError } from '../../../src/core/errors.js';
import { attachmentName, attachmentSpec } from '../../../src/cni/attachment.js';
import { parseCniArgs } from '../../../src/cni/cni-args.js';
import { decodeJson, networkSpec, requestVersion } from '../../../src/cni/config.js';
import { attachmentEnv, parseEnv } from '../../../src/cni/env.js';
import { chained } from '../../../src/cni/result.js';
import { runCni } from '../../../src/cni/run.js';
import { versionResult } from '../../../src/cni/version.js';

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e.cniCode;
    throw e;
  }
  return undefined;
}

const net = { cniVersion: '1.0.0', name: 'pods', type: 'netplumb', subnet: '10.88.0.0/16' };
const noEngine = async (): Promise<never> => {
  throw new Error('an engine was asked for');
};

describe('environment', () => {
  it('needs a known CNI_COMMAND', () => {
    expect(codeOf(() => parseEnv({}))).toBe(4);
    expect(codeOf(() => parseEnv({ CNI_COMMAND: 'FOO' }))).toBe(4);
    expect(parseEnv({ CNI_COMMAND: 'GC' }).command).toBe('GC');
  });

  it('names every missing variable an attachment needs; DEL may go without CNI_NETNS', () => {
    try {
      attachmentEnv(parseEnv({ CNI_COMMAND: 'ADD' }));
      expect.unreachable();
    } catch (e) {
      expect((e as CniError).cniCode).toBe(4);
      expect((e as CniError).details).toContain('CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME');
    }
    expect(attachmentEnv(parseEnv({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c1', CNI_IFNAME: 'eth0', CNI_NETNS: '' })).netns).toBeUndefined();
    expect(codeOf(() => attachmentEnv(parseEnv({ CNI_COMMAND: 'CHECK', CNI_CONTAINERID: 'c1', CNI_IFNAME: 'eth0' })))).toBe(4);
  });

  it('refuses container ids and interface names the spec forbids', () => {
    const env = { CNI_COMMAND: 'ADD', CNI_NETNS: '/run/netns/x', CNI_IFNAME: 'eth0', CNI_CONTAINERID: 'c1' };
    expect(codeOf(() => attachmentEnv(parseEnv({ ...env, CNI_CONTAINERID: '-x' })))).toBe(4);
    expect(codeOf(() => attachmentEnv(parseEnv({ ...env, CNI_IFNAME: 'a/b' })))).toBe(4);
    expect(codeOf(() => attachmentEnv(parseEnv({ ...env, CNI_IFNAME: 'sixteen-chars-xx' })))).toBe(4);
    expect(codeOf(() => attachmentEnv(parseEnv({ ...env, CNI_NETNS: 'relative' })))).toBe(4);
    expect(codeOf(() => attachmentEnv(parseEnv({ ...env, CNI_ARGS: 'UNKNOWN=1' })))).toBe(4);
    // Only attachments read CNI_ARGS.
    expect(parseEnv({ CNI_COMMAND: 'VERSION', CNI_ARGS: 'UNKNOWN=1' }).command).toBe('VERSION');
  });
});

describe('CNI_ARGS', () => {
  it('reads IP (comma-separated) and MAC, keeps K8S_POD_*, and refuses unknown keys unless IgnoreUnknown', () => {
    const a = parseCniArgs('IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;IP=10.88.0.9,fd00::9;MAC=02:00:00:00:00:09;FOO=bar');
    expect(a).toEqual({ ips: ['10.88.0.9', 'fd00::9'], mac: '02:00:00:00:00:09', pod: { K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'web' } });
    expect(parseCniArgs('IgnoreUnknown=true;X=1').pod).toEqual({});
    expect(codeOf(() => parseCniArgs('FOO=bar'))).toBe(4);
    expect(codeOf(() => parseCniArgs('novalue'))).toBe(4);
  });
});

describe('stdin and version', () => {
  it('is code 6 for anything but a JSON object', () => {
    expect(codeOf(() => decodeJson('{'))).toBe(6);
    expect(codeOf(() => decodeJson('[1]'))).toBe(6);
  });

  it('speaks 1.0.0 and 1.1.0, and GC and STATUS only in 1.1.0', () => {
    expect(codeOf(() => requestVersion({ cniVersion: '0.4.0' }, 'ADD'))).toBe(1);
    expect(codeOf(() => requestVersion({ cniVersion: '1.0.0' }, 'STATUS'))).toBe(1);
    expect(codeOf(() => requestVersion({}, 'ADD'))).toBe(7);
    expect(requestVersion({ cniVersion: '1.1.0' }, 'GC')).toBe('1.1.0');
    expect(versionResult('{"cniVersion":"1.0.0"}')).toEqual({ cniVersion: '1.0.0', supportedVersions: ['1.0.0', '1.1.0'] });
    expect(versionResult('').cniVersion).toBe('1.1.0');
  });
});

describe('network config', () => {
  it("takes Docker's defaults and the bridge plugin's keys", () => {
    expect(networkSpec(net)).toEqual({ name: 'pods', masquerade: true, ipv4: { subnet: '10.88.0.0/16' }, defaultRoute: true, routes: [] });
    const s = networkSpec({ ...net, bridge: 'cni0', ipMasq: false, mtu: 1400, isGateway: true, hairpinMode: true, gateway: '10.88.0.254', unknownKey: [1], capabilities: { portMappings: true } });
    expect(s).toMatchObject({ bridge: 'cni0', masquerade: false, mtu: 1400, ipv4: { subnet: '10.88.0.0/16', gateway: '10.88.0.254' } });
  });

  it("reads host-local's ipam (ranges, one set per family, and routes) and dual-stack top-level subnets", () => {
    const s = networkSpec({
      cniVersion: '1.0.0', name: 'pods', type: 'netplumb',
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.88.0.0/16', gateway: '10.88.0.1' }], [{ subnet: 'FD00:88::/64' }]], routes: [{ dst: '0.0.0.0/0' }, { dst: '192.0.2.0/24', gw: '10.88.0.254' }] },
    });
    expect(s.ipv4).toEqual({ subnet: '10.88.0.0/16', gateway: '10.88.0.1' });
    expect(s.ipv6).toEqual({ subnet: 'fd00:88::/64' });
    expect(s.defaultRoute).toBe(false);
    expect(s.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '192.0.2.0/24', gw: '10.88.0.254' }]);
    expect(networkSpec({ ...net, subnet: ['10.88.0.0/16', 'fd00:88::/64'], gateway: ['fd00:88::1', '10.88.0.1'] })).toMatchObject({
      ipv4: { subnet: '10.88.0.0/16', gateway: '10.88.0.1' }, ipv6: { subnet: 'fd00:88::/64', gateway: 'fd00:88::1' },
    });
    expect(networkSpec({ ...net, isDefaultGateway: false }).defaultRoute).toBe(false);
  });

  it('is code 7 for what is wrong and 2 for what netplumb does not do, with the key named', () => {
    const bad = [{ ...net, subnet: '10.88.0.0/33' }, { ...net, name: '-x' }, { ...net, type: 'bridge' }, { ...net, subnet: undefined },
      { ...net, gateway: '10.1.0.1' }, { ...net, routes: [{ dst: 'fd00::/64' }] }, { ...net, mtu: 20 }, { ...net, bridge: 'a b' }, { ...net, ipMasq: 'yes' }];
    for (const c of bad) expect(codeOf(() => networkSpec(c)), JSON.stringify(c)).toBe(7);
    const unsupported = [{ ...net, isGateway: false }, { ...net, hairpinMode: false }, { ...net, ipam: { type: 'dhcp' } },
      { ...net, subnet: ['10.1.0.0/16', '10.2.0.0/16'] }, { ...net, subnet: 'fd00::/64' },
      { ...net, subnet: undefined, ipam: { ranges: [[{ subnet: '10.1.0.0/16', rangeStart: '10.1.0.10' }]] } }];
    for (const c of unsupported) expect(codeOf(() => networkSpec(c)), JSON.stringify(c)).toBe(2);
    try {
      networkSpec({ ...net, isGateway: false });
    } catch (e) {
      expect((e as CniError).details).toMatch(/^isGateway=false: /);
    }
  });
});

describe('capability arguments', () => {
  const spec = networkSpec({ ...net, subnet: ['10.88.0.0/16', 'fd00:88::/64'] });

  it('reads portMappings in either case, "HostIP": "" as every address, ranges and protocols', () => {
    const a = attachmentSpec({
      runtimeConfig: {
        portMappings: [
          { HostPort: 8080, ContainerPort: 80, Protocol: 'TCP', HostIP: '' },
          { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' },
          { hostPort: 9000, containerPort: 90, protocol: 'sctp', range: 2 },
        ],
      },
    }, spec, parseCniArgs(''));
    expect(a.ports).toEqual([
      { protocol: 'tcp', containerPort: 80, hostPort: { kind: 'fixed', port: 8080 } },
      { protocol: 'udp', containerPort: 53, hostPort: { kind: 'fixed', port: 5353 }, hostIp: '127.0.0.1' },
      { protocol: 'sctp', containerPort: 90, hostPort: { kind: 'fixed', port: 9000 } },
      { protocol: 'sctp', containerPort: 91, hostPort: { kind: 'fixed', port: 9001 } },
    ]);
    for (const m of [{ hostPort: 0, containerPort: 80 }, { hostPort: 80, containerPort: 80, protocol: 'icmp' }, { hostPort: 65535, containerPort: 80, range: 2 }])
      expect(codeOf(() => attachmentSpec({ runtimeConfig: { portMappings: [m] } }, spec, parseCniArgs('')))).toBe(7);
  });

  it('takes static addresses from the ips capability first, then args.cni.ips, then CNI_ARGS IP; and a MAC', () => {
    const args = parseCniArgs('IP=10.88.0.7;MAC=02:00:00:00:00:07');
    expect(attachmentSpec({ runtimeConfig: { ips: ['10.88.0.5/16', 'fd00:88::5'] } }, spec, args)).toMatchObject({ ipv4: '10.88.0.5', ipv6: 'fd00:88::5', mac: '02:00:00:00:00:07' });
    expect(attachmentSpec({ args: { cni: { ips: ['10.88.0.6'] } } }, spec, args).ipv4).toBe('10.88.0.6');
    expect(attachmentSpec({ runtimeConfig: { mac: '02:AA:00:00:00:01' } }, spec, args)).toMatchObject({ ipv4: '10.88.0.7', mac: '02:aa:00:00:00:01' });
    for (const ips of [['10.99.0.5'], ['10.88.0.5/24'], ['10.88.0.5', '10.88.0.6']])
      expect(codeOf(() => attachmentSpec({ runtimeConfig: { ips } }, spec, parseCniArgs('')))).toBe(7);
    expect(codeOf(() => attachmentSpec({ runtimeConfig: { mac: '01:00:5e:00:00:01' } }, spec, parseCniArgs('')))).toBe(7);
  });

  it('passes DNS through: the dns capability, else the config', () => {
    const withDns = networkSpec({ ...net, dns: { nameservers: ['10.88.0.1'], search: ['svc.local'] } });
    expect(attachmentSpec({}, withDns, parseCniArgs('')).dns).toEqual({ nameservers: ['10.88.0.1'], search: ['svc.local'] });
    expect(attachmentSpec({ runtimeConfig: { dns: { servers: ['192.0.2.53'], searches: ['a'], options: ['ndots:2'] } } }, withDns, parseCniArgs('')).dns)
      .toEqual({ nameservers: ['192.0.2.53'], search: ['a'], options: ['ndots:2'] });
  });

  it('names an attachment by its key', () => {
    expect(attachmentName('pods', 'c1', 'eth0')).toMatch(/^cni-[0-9a-f]{40}$/);
    expect(attachmentName('pods', 'c1', 'eth0')).not.toBe(attachmentName('pods', 'c1', 'net1'));
    expect(attachmentName('pods', 'c1', 'eth0')).not.toBe(attachmentName('other', 'c1', 'eth0'));
  });
});

describe('a chained result', () => {
  it("appends netplumb's part to a previous plugin's, its interface indexes shifted, DNS kept unless netplumb has some", () => {
    const prev = { cniVersion: '1.1.0', interfaces: [{ name: 'lo', sandbox: '/x' }], ips: [{ address: '127.0.0.1/8', interface: 0 }], dns: { nameservers: ['1.1.1.1'] } };
    const mine = { cniVersion: '1.1.0', interfaces: [{ name: 'br' }, { name: 'npv1' }, { name: 'eth0', sandbox: '/x' }], ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 2 }], routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }] };
    expect(chained(prev, mine)).toEqual({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'lo', sandbox: '/x' }, { name: 'br' }, { name: 'npv1' }, { name: 'eth0', sandbox: '/x' }],
      ips: [{ address: '127.0.0.1/8', interface: 0 }, { address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 3 }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }],
      dns: { nameservers: ['1.1.1.1'] },
    });
    expect(chained(undefined, mine)).toBe(mine);
  });
});

describe('runCni before the engine', () => {
  it('answers VERSION and refuses bad requests without opening an engine, errors as the spec shapes them', async () => {
    const version = await runCni({ env: { CNI_COMMAND: 'VERSION' }, stdin: '{"cniVersion":"1.1.0"}' }, noEngine);
    expect(version).toEqual({ exitCode: 0, stdout: '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}\n' });
    const cases: [Record<string, string>, string, number][] = [
      [{}, JSON.stringify(net), 4],
      [{ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/x', CNI_IFNAME: 'eth0' }, 'nope', 6],
      [{ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/x', CNI_IFNAME: 'eth0' }, JSON.stringify({ ...net, cniVersion: '0.3.1' }), 1],
      [{ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/x', CNI_IFNAME: 'eth0' }, JSON.stringify({ ...net, stateDir: 'relative' }), 7],
    ];
    for (const [env, stdin, code] of cases) {
      const r = await runCni({ env, stdin }, noEngine);
      expect(r.exitCode).toBe(1);
      const err = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(Object.keys(err).sort()).toEqual(['cniVersion', 'code', 'details', 'msg']);
      expect(err.code).toBe(code);
    }
    const shape = await runCni({ env: 'x', stdin: 1 } as never, noEngine);
    expect(JSON.parse(shape.stdout).code).toBe(4);
  });
});
