// Taking ownership of table inet netplumb. With flags owner + persist
// (kernel 6.9+), the kernel refuses changes to the table from any socket but
// its owner's (`nft flush ruleset` run by someone else leaves it alone), and
// when the owner's socket closes the table stays, orphaned: flags persist
// without owner, open to anyone. A process takes an orphaned table over by
// sending NEWTABLE with owner + persist (owner alone is refused: persist
// cannot be switched); while another socket owns it, the kernel answers EPERM.
// A table made without persist (by an engine that did not claim it) can only
// become owned by being made again: that is done when no other state root
// has a part in it, in one transaction, and the caller then rebuilds its own
// part. Measured on 6.18 in the sandbox.
import { NetlinkError } from '../../core/errors.js';
import { Nftables, isStaleGeneration, type Change } from '../../nft/index.js';
import type { Netns } from '../../netns.js';
import { baseChanges } from './base.js';
import { FIREWALL_TABLE } from './layout.js';
import { readFirewall } from './read.js';

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
  /** The table was made again to be owned: everything in it is gone but the base layout; the caller puts its part back. */
  remade?: boolean;
}

/**
 * Makes this namespace's nf_tables socket the owner of table inet netplumb
 * (creating it if needed, taking it over if orphaned) and makes sure its base
 * chains, maps and fixed rules are in place. Throws PermissionError while
 * another live socket owns the table.
 */
export async function claimTable(ns: Netns, self?: number): Promise<TableClaim> {
  const nf = new Nftables(ns);
  for (;;) {
    const current = await nf.list({ family: 'inet' });
    const mine = { ...current, rules: current.rules.filter((r) => r.table === FIREWALL_TABLE) };
    const existing = current.tables.find((t) => t.name === FIREWALL_TABLE);
    const persists = !existing || (existing.flags ?? []).includes('persist');
    const others = existing ? [...readFirewall(current).owners.keys()].filter((id) => id !== self) : [];
    if (!persists && self !== undefined && others.length === 0) {
      const remake = [{ op: 'delete', kind: 'table', family: 'inet', name: FIREWALL_TABLE } as Change, ...baseChanges({ owned: true })];
      try {
        await nf.apply(remake, { genid: current.genid });
        return { owned: true, remade: true };
      } catch (e) {
        if (isStaleGeneration(e)) continue;
        // Kernels before 6.9 refuse persist: the table stays as it was.
        if (!(e instanceof NetlinkError && e.errno === EOPNOTSUPP)) throw e;
      }
    }
    // A table made without persist that others share can never gain it.
    const tryOwned = persists;
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
