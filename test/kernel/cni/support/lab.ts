// What every CNI test stands on: the sandbox's own namespace is the host (a
// runtime runs plugins in its host namespace), a "wan" namespace joined to it
// by a veth is the outside world (no route back to pod subnets: only
// masquerade and published ports cross), netplumbd itself (the built
// daemon, on a throwaway state directory) serving the shim's daemon path,
// and two drivers that exec the same installed plugin: one whose shim finds
// the daemon, one whose shim finds no socket and runs netplumb in-process on
// the same state root. A live daemon owns its state root, so the in-process
// path runs while the daemon is stopped (withoutDaemon, eachPath), as on a
// node without netplumbd.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { addrCalls, linkCalls, Netns } from '../../../../src/index.js';
import { RemoteEngine } from '../../../../src/client/remote-engine.js';
import { assertSandbox, snapshot } from '../../support/witness.js';
import { ensureBuilt, TestDaemon } from '../../daemon/support/daemon.js';
import { CniDriver, type Conflist, type PluginConf, type RuntimeConf } from './driver.js';
import { pluginDir } from './plugins.js';

export const HOST_WAN = '198.18.5.1';
export const WAN_ADDR = '198.18.5.2';
export const HOST_WAN6 = 'fd00:5::1';
export const WAN_ADDR6 = 'fd00:5::2';

/** A CNI request as netplumbd logged it. */
export interface LoggedCniRequest {
  command: string;
  containerId: string;
  netns: string;
  ifname: string;
  exitCode: number;
  /** How it reached netplumbd: 'cni-socket' (the shim's own socket) or the HTTP route. */
  route: string;
}

export class CniLab {
  private readonly pods = new Map<string, Netns>();
  private readonly networks = new Set<string>();
  private running = true;

  private constructor(
    readonly dir: string,
    readonly netplumbd: TestDaemon,
    /** netplumbd's engine, through its client. */
    readonly engine: RemoteEngine,
    /** The shim finds the daemon. */
    readonly daemon: CniDriver,
    /** The shim finds no daemon and runs netplumb in-process. */
    readonly inProcess: CniDriver,
    readonly wan: Netns,
    readonly wanName: string,
  ) {}

  static async open(tag: string): Promise<CniLab> {
    assertSandbox();
    ensureBuilt();
    const dir = await fs.mkdtemp(join(tmpdir(), `np-cni-${tag}-`));
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
    // In the sandbox's own namespace, the node's host; no default network (a CNI node has none).
    const netplumbd = new TestDaemon({ args: ['-b', 'none'] });
    await netplumbd.start();
    const engine = await RemoteEngine.connect({ socket: netplumbd.socket, reconnectTimeoutMs: 30_000 });
    // One runtime's cache: a test may ADD through one path and CHECK or DEL through the other.
    const daemon = new CniDriver([binDir], join(dir, 'cache'), { NETPLUMB_HOST: `unix://${netplumbd.socket}` });
    const inProcess = new CniDriver([binDir], join(dir, 'cache'), { NETPLUMB_HOST: `unix://${join(dir, 'nobody.sock')}` });
    return new CniLab(dir, netplumbd, engine, daemon, inProcess, wan, wanName);
  }

  /** The state root netplumbd serves and the conflists name. */
  get stateDir(): string {
    return this.netplumbd.stateDir;
  }

  /** Runs `fn` with netplumbd stopped (the shim then finds no daemon), and starts it again. */
  async withoutDaemon<T>(fn: () => Promise<T>): Promise<T> {
    await this.settle();
    await this.netplumbd.stop();
    this.running = false;
    try {
      return await fn();
    } finally {
      await this.netplumbd.start();
      this.running = true;
    }
  }

  /** Runs `fn` through the daemon, then in-process with the daemon stopped. */
  async eachPath(fn: (d: CniDriver) => Promise<void>): Promise<void> {
    await fn(this.daemon);
    await this.withoutDaemon(() => fn(this.inProcess));
  }

  /** The CNI requests netplumbd served, in order, as it logged them (every start of it). */
  cniRequests(): LoggedCniRequest[] {
    return this.netplumbd
      .logs()
      .filter((l) => l.msg === 'request' && l.cni !== undefined)
      .map((l) => ({ ...(l.cni as Omit<LoggedCniRequest, 'exitCode' | 'route'>), exitCode: l.exitCode as number, route: l.route as string }));
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
  async settle(): Promise<void> {
    if (this.running) await this.engine.settle();
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
        // netplumbd.json and the lock owners' files name the daemon's pid, which changes when withoutDaemon restarts it.
        else if (!(e.name === 'last.json' && p.includes('/ipam/')) && !e.name.endsWith('.lock') && !e.name.endsWith('.owner') && e.name !== 'netplumbd.json')
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
    for (const ns of this.pods.values()) await ns.delete().catch(() => undefined);
    await this.settle();
    for (const n of this.networks) await this.engine.networks.remove(n, { force: true }).catch(() => undefined);
    await this.engine.close();
    await this.netplumbd.cleanup();
    await this.wan.delete();
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
