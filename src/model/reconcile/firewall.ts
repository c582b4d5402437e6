// This state's part of table inet netplumb brought in line with its records,
// as a diff against the ruleset as it is, in one transaction refused if the
// ruleset moved meanwhile (then read and tried again). Other owners' chains
// and elements are never touched. Used by reconcile and the firewall guard.
import { Nftables, isStaleGeneration } from '../../nft/nftables.js';
import type { ModelContext } from '../context.js';
import { ownRebuild, type PortMapping } from '../firewall/index.js';
import { firewallNetwork, portMappings } from '../firewall/view.js';
import type { NetworkRecord, SandboxRecord } from '../state/records.js';
import { hasBridge } from '../networks/drivers/index.js';

export interface FirewallRepair {
  /** How many changes the transaction held (0: nothing was wrong). */
  changes: number;
  /** This state's ports that another owner's elements hold now. */
  taken: PortMapping[];
}

export async function repairFirewall(ctx: ModelContext, networks: readonly NetworkRecord[], sandboxes: readonly SandboxRecord[]): Promise<FirewallRepair> {
  const owner = ctx.state.owner;
  const live = new Set(networks.map((n) => n.id));
  const endpoints = sandboxes.flatMap((s) => s.endpoints.filter((e) => live.has(e.networkId)));
  const part = {
    // macvlan and ipvlan networks have no firewall.
    networks: networks.filter(hasBridge).map((n) => firewallNetwork(n, owner)),
    ports: endpoints.flatMap((e) => portMappings(e, owner)),
    legacyEndpoints: new Set(endpoints.map((e) => e.id)),
  };
  const nf = new Nftables(ctx.host);
  for (;;) {
    const current = await nf.list({ family: 'inet' });
    const { changes, taken } = ownRebuild(current, owner, part, { owned: ctx.firewallOwner });
    if (changes.length === 0) return { changes: 0, taken };
    try {
      await nf.apply(changes, { genid: current.genid });
      return { changes: changes.length, taken };
    } catch (e) {
      if (!isStaleGeneration(e)) throw e;
    }
  }
}
