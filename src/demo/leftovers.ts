// After teardown: what of the demo is still in the host namespace? Compares
// links and named namespaces with what was there before, and reads the
// firewall table back (it goes with the last network; if another state keeps
// it, it must hold no element or chain of the demo).
import { Links } from '../rtnl/link.js';
import { Netns } from '../netns.js';
import { Nftables } from '../nft/index.js';
import { FIREWALL_TABLE } from '../model/firewall/index.js';

export interface HostSnapshot {
  links: string[];
  namespaces: string[];
}

export async function snapshotHost(host: Netns): Promise<HostSnapshot> {
  return {
    links: (await new Links(host).list()).map((l) => l.name).sort(),
    namespaces: (await Netns.list()).sort(),
  };
}

/** What differs from `before`, in words; empty when nothing is left. */
export async function leftovers(host: Netns, before: HostSnapshot): Promise<string[]> {
  const now = await snapshotHost(host);
  const out: string[] = [];
  const extraLinks = now.links.filter((l) => !before.links.includes(l));
  const extraNs = now.namespaces.filter((n) => !before.namespaces.includes(n));
  if (extraLinks.length) out.push(`links ${extraLinks.join(', ')}`);
  if (extraNs.length) out.push(`namespaces ${extraNs.join(', ')}`);
  const rs = await new Nftables(host).list({ family: 'inet', table: FIREWALL_TABLE });
  const elements = rs.sets.reduce((n, s) => n + s.elements.length, 0);
  const chains = rs.chains.filter((c) => c.hook === undefined);
  if (elements > 0) out.push(`${elements} map elements in table inet ${FIREWALL_TABLE}`);
  if (chains.length > 0) out.push(`chains ${chains.map((c) => c.name).join(', ')} in table inet ${FIREWALL_TABLE}`);
  return out;
}
