// Warm pool entries as records, whoever keeps them, under the state lock:
// reconcile keeps an entry while the engine that keeps it lives and its
// namespace and pair are whole (the host end on its network's bridge) and
// deletes any other; a network's removal deletes its entries. A namespace a
// sandbox record names is the sandbox's, whatever entry still names it.
import { existsSync, rmSync } from 'node:fs';
import { netnsEtcDir } from '../../core/netns-paths.js';
import { join } from 'node:path';
import type { Link } from '../../addon/wire/link.js';
import { netnsCalls } from '../../netns.js';
import { processAlive } from '../../store/lock.js';
import type { ModelContext } from '../context.js';
import type { NetworkRecord, PoolRecord, SandboxRecord } from '../state/records.js';

export interface PoolCheck {
  kept: PoolRecord[];
  /** Namespaces of the entries deleted. */
  removed: string[];
}

/** The namespaces of our own making that sandbox records name (see checkPool). */
export function ownedNamespaces(sandboxes: readonly SandboxRecord[]): Set<string> {
  return new Set(sandboxes.flatMap((s) => (s.netns.kind === 'owned' && s.netns.name !== undefined ? [s.netns.name] : [])));
}

/**
 * Checks every pool entry against the host's links; the caller holds the
 * state lock. `sandboxNamespaces`: the namespaces sandbox records name. A
 * create from the pool writes the sandbox's record before it removes the
 * entry, so a crash in between leaves both naming the namespace: the
 * sandbox keeps it and only the entry goes.
 */
export async function checkPool(ctx: ModelContext, links: ReadonlyMap<string, Link>, networks: readonly NetworkRecord[], sandboxNamespaces: ReadonlySet<string>): Promise<PoolCheck> {
  const byIndex = new Map([...links.values()].map((l) => [l.index, l]));
  const bridges = new Map(networks.map((n) => [n.id, n.bridge]));
  const out: PoolCheck = { kept: [], removed: [] };
  for (const p of await ctx.state.poolEntries()) {
    const veth = links.get(p.hostIfname);
    const onBridge = veth?.master != null && byIndex.get(veth.master)?.name === bridges.get(p.networkId);
    if (!sandboxNamespaces.has(p.netnsName) && processAlive(p.owner.pid) && onBridge && existsSync(join(ctx.netnsDir, p.netnsName))) {
      out.kept.push(p);
      continue;
    }
    await dropEntries(ctx, [p], sandboxNamespaces);
    if (!sandboxNamespaces.has(p.netnsName)) out.removed.push(p.netnsName);
  }
  return out;
}

/**
 * Deletes a network's pool entries, whoever keeps them; the caller holds the
 * state lock. `sandboxNamespaces` as for checkPool: those stay.
 */
export async function dropPoolEntries(ctx: ModelContext, networkId: string, sandboxNamespaces: ReadonlySet<string>): Promise<void> {
  await dropEntries(ctx, (await ctx.state.poolEntries()).filter((p) => p.networkId === networkId), sandboxNamespaces);
  ctx.warmPool?.forget(networkId);
}

/**
 * Entries with their namespaces (and the /etc/netns files a create from the
 * pool that died may have written there), except namespaces a sandbox's
 * record names; the entries' records last.
 */
async function dropEntries(ctx: ModelContext, entries: readonly PoolRecord[], sandboxNamespaces: ReadonlySet<string>): Promise<void> {
  const gone = entries.filter((p) => !sandboxNamespaces.has(p.netnsName));
  if (gone.length > 0) await ctx.host.exec(gone.map((p) => netnsCalls.remove(p.netnsName, { dir: ctx.netnsDir, ifExists: true })));
  for (const p of gone) rmSync(netnsEtcDir(p.netnsName, ctx.etcDir), { recursive: true, force: true });
  for (const p of entries) await ctx.state.removePoolEntry(p.id);
}
