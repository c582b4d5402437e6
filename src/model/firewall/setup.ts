// Whether the engine owns table inet netplumb. Owning it (flags owner +
// persist) makes the kernel refuse changes from any other socket, so a
// firewall reload cannot wipe it — but also refuses every other process,
// other engines and CLI commands included, for as long as the owner lives.
// That fits one long-lived daemon; the default is a table without owner,
// kept right by reconcile(), so that several processes can share the state.
import type { Change, Ruleset } from '../../addon/wire/nft.js';
import { Nftables, isStaleGeneration } from '../../nft/nftables.js';
import type { Netns } from '../../netns.js';
import { baseChanges, claimTable, FIREWALL_TABLE } from './index.js';
import { joinTable, type TableOwner } from './owned.js';

function ours(current: Ruleset): Ruleset {
  return { ...current, rules: current.rules.filter((r) => r.family === 'inet' && r.table === FIREWALL_TABLE) };
}

/** The base layout without taking ownership; keeps `persist` on a table an owning daemon left orphaned (it cannot be switched off). */
export function sharedBaseChanges(current?: Ruleset): Change[] {
  const changes = baseChanges({ owned: false, ...(current ? { current: ours(current) } : {}) });
  const existing = current?.tables.find((t) => t.family === 'inet' && t.name === FIREWALL_TABLE);
  if (existing?.flags?.includes('persist'))
    return changes.map((c) => (c.kind === 'table' ? ({ ...c, flags: ['persist'] } as Change) : c));
  return changes;
}

/**
 * Makes sure the base layout is in place and `tableOwner` is in @owners (one
 * transaction, retried if the ruleset changed under it), so that the table
 * is kept while this state has networks.
 */
export async function ensureFirewall(ns: Netns, owned: boolean, tableOwner: TableOwner): Promise<{ remade: boolean }> {
  const remade = owned ? (await claimTable(ns, tableOwner.id)).remade === true : false;
  const nf = new Nftables(ns);
  for (;;) {
    const current = await nf.list({ family: 'inet' });
    try {
      await nf.apply(joinTable(current, tableOwner, { owned: owned && (current.tables.find((t) => t.name === FIREWALL_TABLE)?.flags ?? []).includes('owner') }), { genid: current.genid });
      return { remade };
    } catch (e) {
      if (!isStaleGeneration(e)) throw e;
    }
  }
}
