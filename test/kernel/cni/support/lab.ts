// What every CNI test stands on: the sandbox's own namespace is the host (a
// runtime runs plugins in its host namespace), a "wan" namespace joined to it
// by a veth is the outside world (no route back to pod subnets: only
// masquerade and published ports cross), an engine on a throwaway state
// directory serving the shim's daemon path, and two drivers that exec the
// same installed plugin: one whose shim finds the daemon, one whose shim
// finds no socket and runs netplumb in-process.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { addrCalls, linkCalls, Netns } from '../../../../src/index.js';
import { Engine } from '../../../../src/model/index.js';
import { assertSandbox, snapshot } from '../../support/witness.js';
import { startCniServer, type CniServer } from './cni-server.js';
import { CniDriver, type Conflist, type PluginConf, type RuntimeConf } from './driver.js';
import { pluginDir } from './plugins.js';

export const HOST_WAN = '198.18.5.1';
export const WAN_ADDR = '198.18.5.2';
export const HOST_WAN6 = 'fd00:5::1';
export const WAN_ADDR6 = 'fd00:5::2';

export class CniLab {
  private readonly pods = new Map<string, Netns>();
  private readonly networks = new Set<string>();

  private constructor(
    readonly dir: string,
    readonly stateDir: string,
    readonly engine: Engine,
    readonly server: CniServer,
    /** The shim finds the daemon (the test's stand-in server). */
    readonly daemon: CniDriver,
    /** The shim finds no daemon and runs netplumb in-process. */
    readonly inProcess: CniDriver,
    readonly wan: Netns,
    readonly wanName: string,
  ) {}

  static async open(tag: string): Promise<CniLab> {
    assertSandbox();
    const dir = await fs.mkdtemp(join(tmpdir(), `np-cni-${tag}-`));
    const stateDir = join(dir, 'state');
    const binDir = await pluginDir(join(dir, 'bin'));
    const wanName = `${tag}-wan`;
    await Netns.remove(wanName, { ifExists: true });
    const wan = await Netns.create({ name: wanName });
    const up = `${tag}w0`.slice(0, 15);
    await Netns.host().exec([
      linkCalls.delete(up, { ifExists: true }),
      linkCalls.addVeth({ name: up, up: true, addrGenMode: 'none', peer: { name: 'eth0', netns: wan, up: true, addrGenMode: 'none' } }),
      addrCalls.add({ dev: up, address: `${HOST_WAN}/24` }),
      addrCalls.add({ dev: up, address: `${HOST_WAN6}/64`, flags: { nodad: true } }),
    ]);
    await wan.exec([addrCalls.add({ dev: 'eth0', address: `${WAN_ADDR}/24` }), addrCalls.add({ dev: 'eth0', address: `${WAN_ADDR6}/64`, flags: { nodad: true } })]);
    const engine = await Engine.open({ stateDir, etcDir: join(stateDir, 'etc'), dns: false });
    const socket = join(dir, 'netplumb.sock');
    const server = await startCniServer(engine, socket);
    // One runtime's cache: a test may ADD through one path and CHECK or DEL through the other.
    const daemon = new CniDriver([binDir], join(dir, 'cache'), { NETPLUMB_HOST: `unix://${socket}` });
    const inProcess = new CniDriver([binDir], join(dir, 'cache'), { NETPLUMB_HOST: `unix://${join(dir, 'nobody.sock')}` });
    return new CniLab(dir, stateDir, engine, server, daemon, inProcess, wan, wanName);
  }

  /** A conflist of netplumb alone (and `more` plugins after it), on this lab's state. */
  conflist(name: string, plugin: Omit<PluginConf, 'type'>, more: PluginConf[] = [], cniVersion = '1.1.0'): Conflist {
    this.networks.add(name);
    return {
      cniVersion,
      cniVersions: ['1.0.0', '1.1.0'],
      name,
      plugins: [{ type: 'netplumb', stateDir: this.stateDir, capabilities: { portMappings: true, ips: true, mac: true }, ...plugin }, ...more],
    };
  }

  /** A pod's namespace, as a runtime makes it before calling ADD. */
  async pod(name: string): Promise<Netns> {
    await Netns.remove(name, { ifExists: true });
    const ns = await Netns.create({ name });
    this.pods.set(name, ns);
    return ns;
  }

  async removePod(name: string): Promise<void> {
    await this.pods.get(name)?.delete();
    this.pods.delete(name);
  }

  rt(containerId: string, pod: string, ifname = 'eth0', capabilityArgs?: RuntimeConf['capabilityArgs']): RuntimeConf {
    return { containerId, netns: `/run/netns/${pod}`, ifname, ...(capabilityArgs ? { capabilityArgs } : {}) };
  }

  /** Makes the network (and the index of published ports) exist, so that a test's before and after compare only its own part. */
  async warmUp(list: Conflist): Promise<void> {
    await this.pod('warm-up');
    const rt = this.rt('warm-up', 'warm-up', 'eth0', { portMappings: [{ hostPort: 65000, containerPort: 80 }] });
    await this.daemon.add(list, rt);
    await this.daemon.del(list, rt);
    await this.removePod('warm-up');
  }

  /** Finishes the daemon's background work (veth pairs of DELs whose namespace still lives). */
  settle(): Promise<void> {
    return this.engine.settle();
  }

  /**
   * The host as `ip` and `nft` see it, and the state directory's files with
   * their contents. IPAM's cursor (where serial allocation resumes, like
   * host-local's last_reserved_ip) is left out: it moves by design.
   */
  async snapshot(): Promise<string> {
    await this.settle();
    const files: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (!(e.name === 'last.json' && p.includes('/ipam/')) && !e.name.endsWith('.lock'))
          files.push(`${relative(this.stateDir, p)}: ${await fs.readFile(p, 'utf8').catch(() => '(gone)')}`);
      }
    };
    await walk(this.stateDir);
    // A bridge's carrier follows its ports through the kernel's linkwatch, up
    // to a second late; which ports exist is in the listing itself.
    const host = snapshot().replace(/NO-CARRIER,/g, '').replace(/ state (UP|DOWN) /g, ' ').replace(/ linkdown/g, '');
    return `${host}\n--- state\n${files.sort().join('\n')}`;
  }

  async close(): Promise<void> {
    await this.server?.close();
    for (const ns of this.pods.values()) await ns.delete().catch(() => undefined);
    await this.engine?.settle();
    for (const n of this.networks) await this.engine?.networks.remove(n, { force: true }).catch(() => undefined);
    await this.engine?.close();
    await this.wan?.delete();
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
