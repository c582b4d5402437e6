// A sandbox of a lab: everything a LabNode offers, plus what a test does to
// one — inspect it, take it off a network and put it back (a partition),
// take its link down, make its link slow or lossy, drop one of its
// published ports from the firewall.
import { join } from 'node:path';
import { FeatureUnavailableError, NotFoundError, ValidationError } from '../core/errors.js';
import type { LaunchTarget } from '../kernel/launch.js';
import { FIREWALL_TABLE, publishChanges, readFirewall, unpublishChanges, type PortMapping } from '../model/firewall/index.js';
import type { NetworkConnectOptions, PortProtocol, SandboxEndpointInfo, SandboxInfo } from '../model/index.js';
import { Netns } from '../netns.js';
import { Nftables } from '../nft/index.js';
import { LabNode } from './node.js';
import type { LabWorld } from './world.js';
import type net from 'node:net';

/** How a sandbox's link misbehaves, on the sandbox's way out. */
export interface Impairment {
  /** netem: added to every packet the sandbox sends. */
  delayMs?: number;
  /** netem: the delay varies by up to this much. */
  jitterMs?: number;
  /** netem: share of packets dropped, 0-100. */
  lossPercent?: number;
  /** A rate limit: with delay, jitter or loss it is netem's; alone it is a token bucket (tbf), which every kernel here has. */
  rateBitsPerSecond?: number;
}

export class LabSandbox extends LabNode {
  private info: SandboxInfo;
  private readonly dropped = new Map<string, PortMapping[]>();

  private constructor(
    world: LabWorld,
    info: SandboxInfo,
    private readonly handle: Netns,
  ) {
    super(world, info.name);
    this.info = info;
    world.onClose(() => handle.close());
  }

  /** Wraps a sandbox the lab's engine made; the lab keeps its namespace handle until close(). */
  static async of(world: LabWorld, info: SandboxInfo): Promise<LabSandbox> {
    return new LabSandbox(world, info, await Netns.open({ path: info.netnsPath }));
  }

  get netns(): Netns {
    return this.handle;
  }

  /** Its IPv4 address on its first network. */
  get address(): string {
    const first = this.info.networks[0];
    if (!first) throw new ValidationError('address', `sandbox '${this.name}' is on no network, so it has no address`);
    return first.ipv4;
  }

  /** Its IPv4 address on `network`. */
  addressOn(network: string): string {
    return this.endpoint(network).ipv4;
  }

  protected launchTarget(): LaunchTarget {
    const target: LaunchTarget = { netnsPath: this.info.netnsPath };
    if (this.info.netnsName !== undefined) target.etcDir = join(this.world.engine.etcDir, 'netns', this.info.netnsName);
    return target;
  }

  /** As `docker inspect` would say now: networks, addresses, ports, namespace. */
  async inspect(): Promise<SandboxInfo> {
    this.info = await this.world.engine.sandboxes.inspect(this.name);
    return this.info;
  }

  /** A TCP connection from inside it (see LabNode), or, given a network's name, `docker network connect`. */
  override connect(port: number, host: string): Promise<net.Socket>;
  override connect(network: string, opts?: NetworkConnectOptions): Promise<SandboxInfo>;
  override connect(a: number | string, b?: string | NetworkConnectOptions): Promise<net.Socket | SandboxInfo> {
    if (typeof a === 'number') return super.connect(a, b as string);
    return this.connectNetwork(a, (b as NetworkConnectOptions | undefined) ?? {});
  }

  private async connectNetwork(network: string, opts: NetworkConnectOptions): Promise<SandboxInfo> {
    this.world.assertOpen();
    this.info = await this.world.engine.sandboxes.connect(this.name, network, opts);
    return this.info;
  }

  /** `docker network disconnect`: its endpoint on `network` is gone (a partition that reconnect heals). */
  async disconnect(network: string): Promise<SandboxInfo> {
    this.world.assertOpen();
    this.info = await this.world.engine.sandboxes.disconnect(this.name, network);
    return this.info;
  }

  /** Takes its link on `network` (default: its first) down at the host's end, as a pulled cable: addresses and routes stay. */
  async linkDown(network?: string): Promise<void> {
    this.world.assertOpen();
    await this.world.hostNetns.links.setDown(this.endpoint(network).hostIfname);
  }

  async linkUp(network?: string): Promise<void> {
    this.world.assertOpen();
    await this.world.hostNetns.links.setUp(this.endpoint(network).hostIfname);
  }

  /**
   * Delays, drops or slows what it sends on `network` (default: its first).
   * Delay, jitter and loss need the kernel's netem: without it this throws
   * FeatureUnavailableError (a test can catch it and skip, saying why).
   */
  async impair(how: Impairment, network?: string): Promise<void> {
    this.world.assertOpen();
    const dev = this.endpoint(network).ifname;
    const netem = how.delayMs !== undefined || how.jitterMs !== undefined || how.lossPercent !== undefined;
    if (!netem) {
      if (how.rateBitsPerSecond === undefined) throw new ValidationError('impair', 'say how: delayMs, jitterMs, lossPercent and/or rateBitsPerSecond');
      await this.netns.qdiscs.rateLimit({ dev, rateBitsPerSecond: how.rateBitsPerSecond });
      return;
    }
    try {
      await this.netns.qdiscs.netem({ dev, ...how });
    } catch (e) {
      if (e instanceof NotFoundError && /qdisc kind is unknown/i.test(e.extack ?? '')) throw netemMissing();
      throw e;
    }
  }

  /** Ends impair(): the kernel's default queueing on its link again. */
  async restoreLink(network?: string): Promise<void> {
    this.world.assertOpen();
    await this.netns.qdiscs.delete({ dev: this.endpoint(network).ifname, ifExists: true });
  }

  /**
   * Removes one of its published ports from the lab host's firewall, as a
   * firewall reload that lost it would: connections to it are refused from
   * then on. The lab's records keep it; restorePublishedPort puts it back.
   */
  async dropPublishedPort(hostPort: number, protocol: PortProtocol = 'tcp'): Promise<void> {
    this.world.assertOpen();
    const nft = new Nftables(this.world.hostNetns);
    const mine = new Set(this.info.networks.map((n) => n.endpointId));
    const ports = readFirewall(await nft.list({ family: 'inet', table: FIREWALL_TABLE })).ports.filter(
      (p) => mine.has(p.endpoint) && p.hostPort === hostPort && p.protocol === protocol,
    );
    if (ports.length === 0)
      throw new ValidationError('hostPort', `sandbox '${this.name}' has no ${protocol} port published on host port ${hostPort} in the firewall`);
    await nft.apply(unpublishChanges(ports));
    this.dropped.set(`${protocol}/${hostPort}`, ports);
  }

  /** Puts back a port dropPublishedPort removed. */
  async restorePublishedPort(hostPort: number, protocol: PortProtocol = 'tcp'): Promise<void> {
    this.world.assertOpen();
    const key = `${protocol}/${hostPort}`;
    const ports = this.dropped.get(key);
    if (!ports) throw new ValidationError('hostPort', `${key} of sandbox '${this.name}' was not dropped`);
    await new Nftables(this.world.hostNetns).apply(publishChanges(ports));
    this.dropped.delete(key);
  }

  private endpoint(network?: string): SandboxEndpointInfo {
    const e = network === undefined ? this.info.networks[0] : this.info.networks.find((n) => n.network === network);
    if (!e) throw new ValidationError('network', network === undefined ? `sandbox '${this.name}' is on no network` : `sandbox '${this.name}' is not on network '${network}'`);
    return e;
  }
}

export function netemMissing(): FeatureUnavailableError {
  return new FeatureUnavailableError(
    'netem',
    "this kernel has no netem (CONFIG_NET_SCH_NETEM, module sch_netem), so delay, jitter and loss cannot be emulated; rate limits (rateBitsPerSecond alone) still work",
  );
}
