// The peers the model benchmarks compare netplumb with, run as a runtime
// runs them: the CNI plugins bridge + host-local + portmap (Debian's
// containernetworking-plugins: CNI_COMMAND=ADD/DEL, the conflist's plugins
// chained with prevResult, portmap's runtimeConfig) and netavark (Debian's
// package: netavark --config DIR setup|teardown NETNS < network-options.json,
// static IP chosen here as podman does in-process). Each tool is
// { name, hostPort, skip, pre(i), attach(c), detach(c), post(c), prove(c) };
// pre() makes the namespace (as a runtime does), post() deletes it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { HOST_WAN, Netns, debVersion, proveTcp, versionOf } from './common.mjs';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const CNI_PATH = process.env.CNI_PATH ?? '/usr/lib/cni';
const NETAVARK = [process.env.NETAVARK, '/usr/lib/podman/netavark', '/usr/libexec/podman/netavark'].find((p) => p && existsSync(p));
const hex64 = (i, salt) => (salt + i.toString(16)).padStart(64, '0');

function cniPluginsMissing() {
  const missing = ['bridge', 'host-local', 'portmap'].filter((p) => !existsSync(`${CNI_PATH}/${p}`));
  return missing.length ? `${missing.join(', ')} not in ${CNI_PATH} (bench/model/ensure-peers installs containernetworking-plugins)` : undefined;
}
const CNI_DATA = '/run/netplumb-bench-cni';
const conflist = {
  cniVersion: '1.0.0',
  name: 'benchcni',
  plugins: [
    {
      type: 'bridge', bridge: 'cni-bench0', isGateway: true, ipMasq: true, hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: '172.21.0.0/16', gateway: '172.21.0.1' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: `${CNI_DATA}/networks` },
    },
    { type: 'portmap', capabilities: { portMappings: true }, snat: true },
  ],
};
/** One plugin, as libcni execs it: network config on stdin, parameters in the environment. */
function cniExec(plugin, command, c, prevResult, runtimeConfig) {
  const conf = { cniVersion: conflist.cniVersion, name: conflist.name, ...plugin };
  if (prevResult) conf.prevResult = prevResult;
  if (runtimeConfig) conf.runtimeConfig = runtimeConfig;
  const r = spawnSync(`${CNI_PATH}/${plugin.type}`, [], {
    input: JSON.stringify(conf),
    encoding: 'utf8',
    env: { PATH, CNI_COMMAND: command, CNI_CONTAINERID: c.id, CNI_NETNS: c.path, CNI_IFNAME: 'eth0', CNI_PATH },
  });
  if (r.status !== 0) throw new Error(`CNI ${plugin.type} ${command} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}
const cniTool = (wan) => ({
  name: 'CNI bridge+host-local+portmap',
  hostPort: 8081,
  skip: cniPluginsMissing(),
  async pre(i) {
    const name = `cni${i}`;
    return { id: hex64(i, 'c0ffee'), path: `/run/netns/${name}`, ns: await Netns.create({ name }) };
  },
  async attach(c) {
    let result;
    for (const p of conflist.plugins) {
      const rc = p.capabilities?.portMappings ? { portMappings: [{ hostPort: this.hostPort, containerPort: 80, protocol: 'tcp' }] } : undefined;
      result = cniExec(p, 'ADD', c, result, rc);
    }
    c.result = result;
  },
  async detach(c) {
    for (const p of [...conflist.plugins].reverse()) {
      const rc = p.capabilities?.portMappings ? { portMappings: [{ hostPort: this.hostPort, containerPort: 80, protocol: 'tcp' }] } : undefined;
      cniExec(p, 'DEL', c, c.result, rc);
    }
  },
  async post(c) { await c.ns.delete(); },
  async prove(c) {
    const address = c.result.ips[0].address.split('/')[0];
    return proveTcp({ serverNs: c.ns, address, containerPort: 80, clientNs: wan, host: HOST_WAN, hostPort: this.hostPort });
  },
});

const NV_CONFIG = '/run/netplumb-bench-netavark';
const nvNetwork = {
  name: 'benchnv', id: hex64(1, 'beef'), driver: 'bridge', network_interface: 'nv-bench0', created: new Date().toISOString(),
  subnets: [{ subnet: '172.22.0.0/16', gateway: '172.22.0.1' }],
  ipv6_enabled: false, internal: false, dns_enabled: false, ipam_options: { driver: 'host-local' },
};
function netavarkExec(cmd, c, extraEnv = {}) {
  const r = spawnSync(NETAVARK, ['--config', NV_CONFIG, cmd, c.path], { input: c.options, encoding: 'utf8', env: { PATH, ...extraEnv } });
  if (r.status !== 0) throw new Error(`netavark ${cmd} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r;
}
const netavarkTool = (wan) => ({
  name: 'netavark',
  hostPort: 8082,
  skip: NETAVARK ? undefined : 'netavark not found in /usr/lib/podman (bench/model/ensure-peers installs it)',
  async pre(i) {
    const name = `nv${i}`;
    const k = (i % 65000) + 2;
    const ip = `172.22.${k >> 8}.${k & 0xff}`;
    const options = JSON.stringify({
      container_id: hex64(i, 'abad1dea'), container_name: name,
      port_mappings: [{ host_ip: '', container_port: 80, host_port: this.hostPort, range: 1, protocol: 'tcp' }],
      networks: { benchnv: { static_ips: [ip], aliases: [], interface_name: 'eth0' } },
      network_info: { benchnv: nvNetwork },
    });
    return { ip, options, path: `/run/netns/${name}`, ns: await Netns.create({ name }) };
  },
  async attach(c) { netavarkExec('setup', c); },
  async detach(c) { netavarkExec('teardown', c); },
  async post(c) { await c.ns.delete(); },
  async prove(c) {
    return proveTcp({ serverNs: c.ns, address: c.ip, containerPort: 80, clientNs: wan, host: HOST_WAN, hostPort: this.hostPort });
  },
});

/** The CNI plugins and netavark, proved from `wan`; and which firewall backends they use here. */
export function peerTools(wan) {
  mkdirSync(CNI_DATA, { recursive: true });
  mkdirSync(NV_CONFIG, { recursive: true });
  const iptablesVersion = spawnSync('iptables', ['--version'], { encoding: 'utf8', env: { PATH } }).stdout?.trim() ?? 'iptables missing';
  const backends = {
    cni: `containernetworking-plugins ${debVersion('containernetworking-plugins')}: portmap and bridge (ipMasq) through iptables (${iptablesVersion}): this portmap has no nftables backend (later plugin releases add one, iptables staying the default)`,
    netavark: `${NETAVARK ? versionOf(NETAVARK) : 'netavark missing'}`,
  };
  return { cni: cniTool(wan), netavark: netavarkTool(wan), backends, netavarkExec };
}
