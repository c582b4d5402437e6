// Warm pool entries as records, whoever keeps them, under the state lock:
// reconcile keeps an entry while the engine that keeps it lives and its
// namespace and pair are whole (the host end on its network's bridge) and
// deletes any other; a network's removal deletes its entries.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Link } from '../../addon/wire/link.js';
import { netnsCalls } from '../../netns.js';
import { processAlive } from '../../store/lock.js';
import type { ModelContext } from '../context.js';
import type { NetworkRecord, PoolRecord } from '../state/records.js';

export interface PoolCheck {
  kept: PoolRecord[];
  /** Namespaces of the entries deleted. */
  removed: string[];
}

/** Checks every pool entry against the host's links; the caller holds the state lock. */
export async function checkPool(ctx: ModelContext, links: ReadonlyMap<string, Link>, networks: readonly NetworkRecord[]): Promise<PoolCheck> {
  const byIndex = new Map([...links.values()].map((l) => [l.index, l]));
  const bridges = new Map(networks.map((n) => [n.id, n.bridge]));
  const out: PoolCheck = { kept: [], removed: [] };
  for (const p of await ctx.state.poolEntries()) {
    const veth = links.get(p.hostIfname);
    const onBridge = veth?.master != null && byIndex.get(veth.master)?.name === bridges.get(p.networkId);
    if (processAlive(p.owner.pid) && onBridge && existsSync(join(ctx.netnsDir, p.netnsName))) {
      out.kept.push(p);
      continue;
    }
    out.removed.push(p.netnsName);
    await ctx.host.exec([netnsCalls.remove(p.netnsName, { dir: ctx.netnsDir, ifExists: true })]);
    await ctx.state.removePoolEntry(p.id);
  }
  return out;
}

/** Deletes a network's pool entries, whoever keeps them; the caller holds the state lock. */
export async function dropPoolEntries(ctx: ModelContext, networkId: string): Promise<void> {
  const gone = (await ctx.state.poolEntries()).filter((p) => p.networkId === networkId);
  if (gone.length > 0) await ctx.host.exec(gone.map((p) => netnsCalls.remove(p.netnsName, { dir: ctx.netnsDir, ifExists: true })));
  for (const p of gone) await ctx.state.removePoolEntry(p.id);
  ctx.warmPool?.forget(networkId);
}
