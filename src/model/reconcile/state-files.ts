// The state files made to agree with the records: the name index, the IPAM
// entries and cursors, the port documents and the joiners lists are rebuilt
// from the sandbox records; damaged files that cannot be rebuilt are moved
// into the quarantine directory (never deleted), and temp files of writers
// that died are removed.
import { unlinkSync } from 'node:fs';
import type { ModelContext } from '../context.js';
import type { NetworkRecord, SandboxRecord } from '../state/records.js';
import { PORTS, portsOf, type Damage } from '../state/state.js';
import type { ReconcileReport } from './report.js';

/** Moves damaged documents into the quarantine directory and reports them. */
export async function quarantine(ctx: ModelContext, damaged: readonly Damage[], dir: string, report: ReconcileReport): Promise<void> {
  for (const d of damaged) {
    const movedTo = await ctx.state.quarantine(d, dir);
    if (movedTo !== undefined) report.quarantined.push({ file: d.file, problem: d.problem, movedTo });
  }
}

/** Temp files of writers that died (a complete document never ends in .tmp: its rename never happened). */
export async function removeLeftovers(ctx: ModelContext, report: ReconcileReport): Promise<void> {
  for (const f of await ctx.state.leftovers()) {
    try {
      unlinkSync(f);
      report.removedFiles.push(f);
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * IPAM from the live endpoints: networks that are gone lose their entries;
 * entries owned by no live endpoint are freed; a live endpoint's address
 * without its entry (or with a damaged one) gets it written again; damaged
 * entries of no live endpoint, and damaged cursors, go to quarantine.
 */
export async function repairIpam(ctx: ModelContext, networks: ReadonlyMap<string, NetworkRecord>, sandboxes: readonly SandboxRecord[], dir: string, report: ReconcileReport): Promise<void> {
  const live = new Map<string, Map<string, string>>();
  for (const s of sandboxes)
    for (const e of s.endpoints) {
      let m = live.get(e.networkId);
      if (!m) live.set(e.networkId, (m = new Map()));
      m.set(e.ipv4, e.id);
      if (e.ipv6) m.set(e.ipv6, e.id);
    }
  for (const id of await ctx.state.ipam.networks()) {
    if (!networks.has(id)) {
      await ctx.state.ipam.drop(id);
      continue;
    }
    const wanted = live.get(id) ?? new Map<string, string>();
    const { allocations, damaged } = await ctx.state.ipam.owners(id);
    const orphans = allocations.filter((a) => wanted.get(a.address) !== a.owner);
    report.releasedAddresses.push(...(await ctx.state.ipam.release(id, orphans)));
    for (const d of damaged) {
      const owner = wanted.get(d.address);
      if (owner !== undefined) {
        await ctx.state.ipam.forget(id, d.address);
        await ctx.state.ipam.claim(id, [{ address: d.address, owner }], {});
        report.restoredFiles.push(d.file);
      } else {
        const movedTo = await ctx.state.ipam.quarantine(id, d.address, `${dir}/ipam/${id}`);
        if (movedTo) report.quarantined.push({ file: d.file, problem: d.problem, movedTo });
      }
    }
    const cursor = await ctx.state.ipam.cursorDamaged(id);
    if (cursor) {
      const movedTo = await ctx.state.ipam.quarantine(id, 'last', `${dir}/ipam/${id}`);
      if (movedTo) report.quarantined.push({ file: cursor.file, problem: cursor.problem, movedTo });
    }
  }
  for (const [networkId, addresses] of live) {
    if (!networks.has(networkId)) continue;
    for (const [address, owner] of addresses) {
      if (ctx.state.ipam.isAllocated(networkId, address)) continue;
      await ctx.state.ipam.claim(networkId, [{ address, owner }], {});
      report.restoredFiles.push(`ipam/${networkId}/${address}`);
    }
  }
}

/** The name index from the whole records: every name points at its sandbox, and nothing else is in it. */
export async function repairNameIndex(ctx: ModelContext, sandboxes: readonly SandboxRecord[], dir: string, report: ReconcileReport): Promise<void> {
  const { names, damaged } = await ctx.state.nameIndex();
  await quarantine(ctx, damaged, dir, report);
  const want = new Map(sandboxes.filter((s) => !s.removed).map((s) => [s.name, s.id]));
  for (const [name, id] of names) {
    if (want.get(name) === id) continue;
    if (!want.has(name)) {
      await ctx.state.removeNameIndex(name);
      report.removedFiles.push(`sandbox-names/${name}`);
    }
  }
  for (const [name, id] of want) {
    if (names.get(name) === id) continue;
    await ctx.state.indexName({ name, id });
    report.restoredFiles.push(`sandbox-names/${name}`);
  }
}

/** The port documents from the records, each written when it differs (damaged ones go to quarantine first). */
export async function repairPortIndex(ctx: ModelContext, sandboxes: readonly SandboxRecord[], dir: string, report: ReconcileReport): Promise<void> {
  const { damaged } = await ctx.state.allPorts();
  await quarantine(ctx, damaged.map((d) => ({ kind: PORTS, ...d })), dir, report);
  for (const id of await ctx.state.rebuildPorts(portsOf(sandboxes))) report.restoredFiles.push(`ports/${id}`);
}

/** Each sandbox's joiners from the sandboxes that say they joined it (a crash can leave the two apart). */
export async function repairJoiners(ctx: ModelContext, sandboxes: SandboxRecord[], report: ReconcileReport): Promise<void> {
  for (const owner of sandboxes) {
    const want = sandboxes.filter((s) => s.joinedTo === owner.id).map((s) => s.id).sort();
    const have = [...(owner.joiners ?? [])].sort();
    if (JSON.stringify(want) === JSON.stringify(have)) continue;
    const next: SandboxRecord = { ...owner, joiners: want };
    if (want.length === 0) delete next.joiners;
    await ctx.state.writeSandbox(next);
    Object.assign(owner, next);
    if (want.length === 0) delete owner.joiners;
    report.restoredFiles.push(`sandboxes/${owner.id}`);
  }
}
