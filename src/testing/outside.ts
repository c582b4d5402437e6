// The lab's outside: a namespace that plays the internet behind the host.
// One veth pair joins it to the host (eth0 on both sides, one /24); the
// host's default route goes through it, so sandboxes reach it masqueraded
// as the host, and it reaches published ports on the host's address (DNAT).
// When given names, it answers them with its address on port 53 (UDP and
// TCP): the host's resolver and the networks' DNS responders forward there.
import type dgram from 'node:dgram';
import type net from 'node:net';
import { ValidationError } from '../core/errors.js';
import { canonicalAddress, contains, formatAddress, networkAddress, nthAddress, parsePrefix } from '../addressing/ipnet.js';
import { NameTable } from '../dns/names.js';
import { DnsResponder } from '../dns/resolver.js';
import type { LaunchTarget } from '../kernel/launch.js';
import { bindUdp, listenTcp } from '../kernel/sockets.js';
import { Netns } from '../netns.js';
import { LabNode } from './node.js';
import type { LabWorld } from './world.js';

export interface OutsideOptions {
  /** The outside's address (default 198.51.100.1, a documentation range). */
  address?: string;
  /** The host's address on the same /24 (default: .2 of it, or .1 when the outside took .2). */
  hostAddress?: string;
  /** Names the outside's DNS answers with its address (e.g. 'api.example.test'). */
  names?: string[];
}

export interface OutsideLayout {
  address: string;
  hostAddress: string;
  prefixLength: number;
  names: string[];
}

const DEFAULT_ADDRESS = '198.51.100.1';

/** The addresses of the uplink, checked before anything is made. */
export function outsideLayout(o: OutsideOptions): OutsideLayout {
  const address = canonicalAddress(o.address ?? DEFAULT_ADDRESS, 'outside.address');
  const link = parsePrefix(`${address}/24`, 'outside.address');
  if (link.family !== 4) throw new ValidationError('outside.address', 'the outside needs an IPv4 address');
  const [first, second] = [formatAddress(nthAddress(link, 1)), formatAddress(nthAddress(link, 2))];
  const hostAddress = canonicalAddress(o.hostAddress ?? (address === second ? first : second), 'outside.hostAddress');
  const lan = formatAddress(networkAddress(link));
  if (hostAddress === address || !contains(link, parsePrefix(`${hostAddress}/32`, 'outside.hostAddress')))
    throw new ValidationError('outside.hostAddress', `the host's address must be another address of ${lan}/24, where the outside is`);
  return { address, hostAddress, prefixLength: 24, names: [...(o.names ?? [])] };
}

export class LabOutside extends LabNode {
  private dns: { responder: DnsResponder; udp: dgram.Socket; tcp: net.Server } | undefined;

  constructor(
    world: LabWorld,
    private readonly handle: Netns,
    private readonly layout: OutsideLayout,
    private readonly target: LaunchTarget,
  ) {
    super(world, 'outside');
    world.onClose(() => {
      this.stopDns();
      handle.close();
    });
  }

  get netns(): Netns {
    return this.handle;
  }

  get address(): string {
    return this.layout.address;
  }

  /** The names its DNS answers. */
  get names(): readonly string[] {
    return this.layout.names;
  }

  protected launchTarget(): LaunchTarget {
    return this.target;
  }

  /** Starts answering its names on its address, port 53 (nothing else is forwarded: NXDOMAIN). */
  async startDns(): Promise<void> {
    if (this.dns || this.layout.names.length === 0) return;
    const names = new NameTable();
    names.register('outside', this.layout.names, [this.layout.address]);
    const udp = await bindUdp(this.handle, { address: this.layout.address, port: 53 });
    const tcp = await listenTcp(this.handle, { address: this.layout.address, port: 53 });
    const responder = new DnsResponder(udp, { names, forward: false, upstreams: [] });
    responder.serveTcp(tcp);
    this.dns = { responder, udp, tcp };
  }

  stopDns(): void {
    if (!this.dns) return;
    this.dns.responder.close();
    this.dns.udp.close();
    this.dns.tcp.close();
    this.dns = undefined;
  }
}
