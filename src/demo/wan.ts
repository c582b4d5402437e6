// The demo's "outside world": namespace demo-wan, joined to the host by a
// veth (wan0 198.51.100.1 in the host, eth0 198.51.100.2 in the wan, from
// TEST-NET-2). The wan has no route to any container subnet, so a reply can
// only find its way back when the host masquerades the container's traffic.
import { addrCalls } from '../rtnl/addr.js';
import { linkCalls } from '../rtnl/link.js';
import { Netns } from '../netns.js';

export const WAN = {
  netns: 'demo-wan',
  hostEnd: 'wan0',
  hostAddress: '198.51.100.1',
  address: '198.51.100.2',
  prefix: 24,
} as const;

export class Wan {
  private constructor(
    readonly host: Netns,
    readonly ns: Netns,
  ) {}

  static async build(host: Netns): Promise<Wan> {
    await Netns.remove(WAN.netns, { ifExists: true });
    const ns = await Netns.create({ name: WAN.netns });
    try {
      await host.exec([
        linkCalls.addVeth({ name: WAN.hostEnd, up: true, peer: { name: 'eth0', netns: ns, up: true } }),
        addrCalls.add({ dev: WAN.hostEnd, address: `${WAN.hostAddress}/${WAN.prefix}` }),
      ]);
      await ns.exec([addrCalls.add({ dev: 'eth0', address: `${WAN.address}/${WAN.prefix}` })]);
    } catch (e) {
      await ns.delete();
      throw e;
    }
    return new Wan(host, ns);
  }

  /** Deletes the namespace; the veth pair goes with it. Safe to call twice. */
  async teardown(): Promise<void> {
    if (!this.ns.closed) await this.ns.delete();
    await Netns.remove(WAN.netns, { ifExists: true });
    await this.host.exec([linkCalls.delete(WAN.hostEnd, { ifExists: true })]);
  }
}
