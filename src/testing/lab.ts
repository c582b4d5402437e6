// A lab: a world of its own for one test — its own namespace playing the
// host (bridges, firewall, published ports, the networks' DNS), optionally
// an outside playing the internet, its sandboxes, and a state root of its
// own — so labs in parallel test files, workers or processes never meet,
// even with the same subnets and the same published host ports.
//
// Taken down (everything it made: processes in its namespaces, the
// namespaces with their links and rules, its files):
// - by close() / `await using`, before the promise resolves;
// - when its process dies without close() (exit, uncaught error, SIGKILL):
//   its reaper, a detached shell whose stdin only this process writes,
//   sees end of file and does the same moments later;
// - when process and reaper both died (a machine-wide kill): by the next
//   Lab.open of any process using the same base directory.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NoSuchObjectError, ValidationError } from '../core/errors.js';
import { netnsEtcDir } from '../core/netns-paths.js';
import { hostsContent, writeSandboxFiles } from '../dns/hosts.js';
import { resolvConfContent } from '../dns/resolv-conf.js';
import { Engine, type EngineOptions, type NetworkCreateOptions, type NetworkInspect, type SandboxCreateOptions } from '../model/index.js';
import { Netns } from '../netns.js';
import { addrCalls } from '../rtnl/addr.js';
import { linkCalls } from '../rtnl/link.js';
import { routeCalls } from '../rtnl/route.js';
import { LabHost } from './host.js';
import { claimLabRoot, labsBase, processId, sweepOrphans, writeOwner } from './lab-root.js';
import { LabOutside, outsideLayout, type OutsideLayout, type OutsideOptions } from './outside.js';
import { requireLabPrivileges } from './privileges.js';
import { reapNow, startReaper } from './reaper.js';
import { LabSandbox } from './sandbox.js';
import type { LabWorld } from './world.js';

export type LabNetworkOptions = Omit<NetworkCreateOptions, 'name'>;

export interface LabOptions {
  /** Networks to create, by name: any option engine.networks.create takes. */
  networks?: Record<string, LabNetworkOptions>;
  /** An outside that plays the internet behind the host: true, or its address and DNS names. */
  outside?: boolean | OutsideOptions;
  /** Names the lab's directory (<prefix>-XXXXXX), to tell labs apart in listings. Default 'lab'. */
  prefix?: string;
  /** The base directory of labs (default NETPLUMB_LAB_DIR, else /run/netplumb/labs, else under the temp dir). */
  root?: string;
}

/** A sandbox's options in a lab: engine.sandboxes.create's, less what the lab decides. */
export type LabSandboxOptions = Omit<SandboxCreateOptions, 'name' | 'netns' | 'filesDir'>;

const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

export class Lab implements LabWorld, AsyncDisposable {
  readonly host: LabHost;
  private current: Engine | undefined;
  private hostNs: Netns | undefined;
  private outsideNode: LabOutside | undefined;
  private uplink: OutsideLayout | undefined;
  private readonly children = new Set<ChildProcess>();
  private readonly releases: (() => void | Promise<void>)[] = [];
  private readonly members = new Map<string, LabSandbox>();
  private closing: Promise<void> | undefined;

  private constructor(
    /** The lab's directory: netns/, state/, etc/, owner.json. */
    readonly root: string,
    private readonly reaper: ChildProcess,
    private readonly networkNames: string[],
  ) {
    this.host = new LabHost(this, { netnsPath: this.netnsPath('host'), etcDir: this.etcDir('host') }, () => this.uplink?.hostAddress);
  }

  /**
   * Builds a lab: refuses at once, saying how to run the tests, when this
   * process may not make namespaces; takes down orphaned labs first.
   */
  static async open(opts: LabOptions = {}): Promise<Lab> {
    requireLabPrivileges();
    const prefix = opts.prefix ?? 'lab';
    if (!PREFIX.test(prefix)) throw new ValidationError('prefix', `prefix '${prefix}' must be 1-40 letters, digits, '_', '.' or '-', starting with a letter or digit`);
    const layout = opts.outside ? outsideLayout(opts.outside === true ? {} : opts.outside) : undefined;
    const networks = Object.entries(opts.networks ?? {});
    const base = labsBase(opts.root);
    await sweepOrphans(base);
    const root = claimLabRoot(base, prefix);
    const reaper = startReaper(root);
    writeOwner(root, { owner: processId(process.pid)!, ...(reaper.pid !== undefined ? { reaper: processId(reaper.pid)! } : {}) });
    const lab = new Lab(root, reaper, networks.map(([n]) => n));
    try {
      await lab.build(layout, networks);
    } catch (e) {
      await lab.close().catch(() => undefined);
      throw e;
    }
    return lab;
  }

  private netnsPath(name: string): string {
    return join(this.root, 'netns', name);
  }

  private etcDir(name: string): string {
    return netnsEtcDir(name, join(this.root, 'etc'));
  }

  private engineOptions(dns: boolean): EngineOptions {
    const upstreams = this.uplink?.names.length ? [{ address: this.uplink.address, port: 53 }] : [];
    return {
      host: this.hostNetns,
      stateDir: join(this.root, 'state'),
      etcDir: join(this.root, 'etc'),
      netnsDir: join(this.root, 'netns'),
      dns: dns ? { upstreams, timeoutMs: 1000 } : false,
    };
  }

  private async build(layout: OutsideLayout | undefined, networks: [string, LabNetworkOptions][]): Promise<void> {
    const dir = join(this.root, 'netns');
    this.hostNs = await Netns.create({ name: 'host', dir });
    if (layout) {
      const out = await Netns.create({ name: 'outside', dir });
      this.uplink = layout;
      this.outsideNode = new LabOutside(this, out, layout, { netnsPath: this.netnsPath('outside'), etcDir: this.etcDir('outside') });
      await this.hostNs.exec([
        linkCalls.addVeth({ name: 'eth0', up: true, addrGenMode: 'none', peer: { name: 'eth0', netns: out, up: true, addrGenMode: 'none' } }),
        addrCalls.add({ dev: 'eth0', address: `${layout.hostAddress}/${layout.prefixLength}` }),
        routeCalls.add({ destination: 'default', gateway: layout.address }),
      ]);
      await out.exec([addrCalls.add({ dev: 'eth0', address: `${layout.address}/${layout.prefixLength}` })]);
      await this.outsideNode.startDns();
    }
    const dnsServer = layout?.names.length ? [layout.address] : [];
    await writeSandboxFiles(this.etcDir('host'), {
      hosts: hostsContent({ hostname: 'host', addresses: layout ? [layout.hostAddress] : [], ipv6: false }),
      resolvConf: resolvConfContent({ nameservers: dnsServer, search: [], options: [] }, dnsServer.length ? "The lab's host: the outside answers DNS." : "The lab's host: no DNS."),
    });
    if (layout)
      await writeSandboxFiles(this.etcDir('outside'), {
        hosts: hostsContent({ hostname: 'outside', addresses: [layout.address], ipv6: false }),
        resolvConf: resolvConfContent({ nameservers: dnsServer, search: [], options: [] }, "The lab's outside."),
      });
    this.current = await Engine.open(this.engineOptions(true));
    for (const [name, o] of networks) await this.current.networks.create({ ...o, name });
  }

  /** The engine of the lab's world, for anything the lab does not wrap. */
  get engine(): Engine {
    if (!this.current) throw new Error('the lab is not open');
    return this.current;
  }

  get hostNetns(): Netns {
    if (!this.hostNs) throw new Error('the lab is not open');
    return this.hostNs;
  }

  /** The namespace that plays the internet; only when the lab was opened with `outside`. */
  get outside(): LabOutside {
    if (!this.outsideNode) throw new ValidationError('outside', 'this lab has no outside: open it with { outside: true } (or { outside: { address, names } })');
    return this.outsideNode;
  }

  /**
   * A sandbox on `opts.network` (default: the lab's network when it has
   * exactly one, else Docker's default bridge), with its resolv.conf free of
   * this machine's search domains.
   */
  async sandbox(name: string, opts: LabSandboxOptions = {}): Promise<LabSandbox> {
    this.assertOpen();
    const network = opts.network ?? (this.networkNames.length === 1 ? this.networkNames[0] : undefined);
    const info = await this.engine.sandboxes.create({ dnsSearch: [], dnsOptions: [], ...opts, name, ...(network !== undefined ? { network } : {}) });
    const s = await LabSandbox.of(this, info);
    this.members.set(name, s);
    return s;
  }

  /** A sandbox made earlier by name. */
  get(name: string): LabSandbox {
    const s = this.members.get(name);
    if (!s) throw new NoSuchObjectError('sandbox', name, 'this lab made no sandbox by that name');
    return s;
  }

  /** Removes a sandbox (its namespace, links and ports). */
  async remove(name: string): Promise<void> {
    this.assertOpen();
    await this.engine.sandboxes.remove(name);
    this.members.delete(name);
  }

  /** Another network, as engine.networks.create. */
  async network(name: string, opts: LabNetworkOptions = {}): Promise<NetworkInspect> {
    this.assertOpen();
    const n = await this.engine.networks.create({ ...opts, name });
    this.networkNames.push(name);
    return n;
  }

  /** Stops the networks' DNS responders: sandboxes' lookups of each other then fail, as with a dead resolver. */
  async stopDns(): Promise<void> {
    this.assertOpen();
    await this.engine.close();
    this.current = await Engine.open(this.engineOptions(false));
  }

  /** Starts them again. */
  async startDns(): Promise<void> {
    this.assertOpen();
    await this.engine.close();
    this.current = await Engine.open(this.engineOptions(true));
  }

  assertOpen(): void {
    if (this.closing) throw new ValidationError('lab', `the lab ${this.root} is closed: open another with Lab.open()`);
  }

  track<T extends ChildProcess>(child: T): T {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  onClose(release: () => void | Promise<void>): void {
    this.releases.push(release);
  }

  /** Takes the whole lab down (see the top of this file); resolves when nothing of it is left. */
  close(): Promise<void> {
    this.closing ??= this.takeDown();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async takeDown(): Promise<void> {
    for (const c of this.children) c.kill('SIGKILL');
    for (const release of this.releases.splice(0).reverse()) await Promise.resolve().then(release).catch(() => undefined);
    await this.current?.close().catch(() => undefined);
    this.hostNs?.close();
    const gone = await reapNow(this.reaper);
    if (!gone || existsSync(this.root))
      throw new Error(`the lab ${this.root} could not be taken down completely; see what is mounted there (grep ${this.root} /proc/self/mountinfo)`);
  }
}
