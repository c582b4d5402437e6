// Taking ownership of table inet netplumb. With flags owner + persist
// (kernel 6.9+), the kernel refuses changes to the table from any socket but
// its owner's (`nft flush ruleset` run by someone else leaves it alone), and
// when the owner's socket closes the table stays, orphaned: flags persist
// without owner, open to anyone. A process takes an orphaned table over by
// sending NEWTABLE with owner + persist (owner alone is refused: persist
// cannot be switched); while another socket owns it, the kernel answers EPERM.
// Measured on 6.18 in the sandbox.
import { NetlinkError } from '../../core/errors.js';
import { Nftables, isStaleGeneration } from '../../nft/index.js';
import type { Netns } from '../../netns.js';
import { baseChanges } from './base.js';
import { FIREWALL_TABLE } from './layout.js';

const EOPNOTSUPP = 95;

export interface TableClaim {
  /**
   * True: this Netns's nf_tables socket owns the table; every later change must
   * go through the same Netns object (another socket, even in this process,
   * gets PermissionError) and ownership ends when it closes. False: the kernel
   * cannot keep an owned table past its owner (no persist), so the table is
   * left without owner; pass { owned: false } to baseChanges.
   */
  owned: boolean;
}

/**
 * Makes this namespace's nf_tables socket the owner of table inet netplumb
 * (creating it if needed, taking it over if orphaned) and makes sure its base
 * chains, maps and fixed rules are in place. Throws PermissionError while
 * another live socket owns the table.
 */
export async function claimTable(ns: Netns): Promise<TableClaim> {
  const nf = new Nftables(ns);
  for (;;) {
    const current = await nf.list({ family: 'inet' });
    const mine = { ...current, rules: current.rules.filter((r) => r.table === FIREWALL_TABLE) };
    const existing = current.tables.find((t) => t.name === FIREWALL_TABLE);
    // A table made without persist (older kernel, or by the fallback) can never gain it.
    const tryOwned = !existing || (existing.flags ?? []).includes('persist');
    try {
      await nf.apply(baseChanges({ owned: tryOwned, current: mine }), { genid: current.genid });
      return { owned: tryOwned };
    } catch (e) {
      if (isStaleGeneration(e)) continue;
      // Kernels before 6.9 refuse the unknown persist flag.
      if (tryOwned && e instanceof NetlinkError && e.errno === EOPNOTSUPP && !existing) {
        await nf.apply(baseChanges({ owned: false, current: mine }));
        return { owned: false };
      }
      throw e;
    }
  }
}
