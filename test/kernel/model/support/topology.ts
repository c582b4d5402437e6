// The two namespaces the model tests stand on: a "host" that the engine
// manages and a "wan" for the outside world, joined by one veth (wan0 in the
// host, eth0 in the wan). The wan has no route back to any container subnet,
// so only masquerade and published ports cross.
import { addrCalls, linkCalls, Netns } from '../../../../src/index.js';
import { assertSandbox } from '../../support/witness.js';

export interface HostAndWanOptions {
  /** Namespace names under /run/netns. */
  host: string;
  wan: string;
  /** IPv4 addresses on the link (a /24). */
  hostAddress: string;
  wanAddress: string;
  /** IPv6 addresses on the link too (a /64). */
  ipv6?: { hostAddress: string; wanAddress: string };
}

export interface HostAndWan {
  host: Netns;
  wan: Netns;
  /** Deletes both namespaces, the wan first. */
  cleanup(): Promise<void>;
}

export async function hostAndWan(o: HostAndWanOptions): Promise<HostAndWan> {
  assertSandbox();
  const host = await Netns.create({ name: o.host });
  let wan: Netns | undefined;
  const cleanup = async (): Promise<void> => {
    await wan?.delete();
    await host.delete();
  };
  try {
    wan = await Netns.create({ name: o.wan });
    // No link-local addresses, and IPv6 ones without DAD: nothing on this link
    // changes by itself between a test's before and after snapshots.
    await host.exec([
      linkCalls.addVeth({ name: 'wan0', up: true, addrGenMode: 'none', peer: { name: 'eth0', netns: wan, up: true, addrGenMode: 'none' } }),
      addrCalls.add({ dev: 'wan0', address: `${o.hostAddress}/24` }),
      ...(o.ipv6 ? [addrCalls.add({ dev: 'wan0', address: `${o.ipv6.hostAddress}/64`, flags: { nodad: true } })] : []),
    ]);
    await wan.exec([
      addrCalls.add({ dev: 'eth0', address: `${o.wanAddress}/24` }),
      ...(o.ipv6 ? [addrCalls.add({ dev: 'eth0', address: `${o.ipv6.wanAddress}/64`, flags: { nodad: true } })] : []),
    ]);
  } catch (e) {
    // beforeAll failed: afterAll has nothing to clean up with, so do it here.
    await cleanup().catch(() => undefined);
    throw e;
  }
  return { host, wan, cleanup };
}
