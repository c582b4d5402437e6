// A network's kernel side made or taken away as one plan, its firewall part
// fitted to table inet netplumb as it is (other owners may share it) and
// sent with that generation: if the ruleset moved meanwhile, the kernel
// refuses the plan (undone whole) and it is tried again on the new ruleset.
import { isStaleGeneration, Nftables } from '../../nft/nftables.js';
import { joinTable, leaveNetwork } from '../firewall/owned.js';
import type { ModelContext } from '../context.js';
import type { NetworkRecord } from '../state/records.js';
import { createNetworkCalls, networkRemovalChanges, removeNetworkCalls } from './network-calls.js';

export async function makeNetwork(ctx: ModelContext, n: NetworkRecord): Promise<void> {
  const owner = ctx.state.owner;
  const nf = new Nftables(ctx.host);
  for (;;) {
    const current = await nf.list({ family: 'inet' });
    const join = joinTable(current, owner, { owned: ctx.firewallOwner });
    try {
      await ctx.host.exec(createNetworkCalls(n, { owner, join, genid: current.genid }));
      return;
    } catch (e) {
      if (!isStaleGeneration(e)) throw e;
    }
  }
}

/** `last`: no other network of this state needs the table (it then goes, unless another owner still uses it). */
export async function unmakeNetwork(ctx: ModelContext, n: NetworkRecord, last: boolean): Promise<void> {
  const nf = new Nftables(ctx.host);
  for (;;) {
    const current = await nf.list({ family: 'inet' });
    const changes = leaveNetwork(current, ctx.state.owner, last, networkRemovalChanges(n));
    try {
      await ctx.host.exec(removeNetworkCalls(n, changes, ctx.state.owner.id, current.genid));
      return;
    } catch (e) {
      if (!isStaleGeneration(e)) throw e;
    }
  }
}
