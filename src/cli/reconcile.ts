// `netplumb reconcile`: makes the kernel and the state directory agree
// again after a crash (a killed `create`, a reboot, a firewall reload, a
// damaged state file) and prints what it repaired, one line each.
import { Command } from 'commander';
import type { ReconcileReport } from '../model/index.js';
import { withEngine } from './engine.js';
import { withProgress } from './progress.js';
import { out, printJson } from './output.js';

const LINES: [keyof ReconcileReport, string][] = [
  ['rolledBack', 'rolled back (creation never finished)'],
  ['removedSandboxes', 'removed sandbox (namespace gone)'],
  ['removedNamespaces', 'removed namespace'],
  ['removedLinks', 'removed link'],
  ['restoredBridges', 'restored bridge'],
  ['restoredEndpoints', 'restored endpoint'],
  ['restoredLinks', 'brought back up / on its bridge'],
  ['restoredAddresses', 'restored address or route'],
  ['detachedEndpoints', 'detached endpoint (network gone)'],
  ['releasedAddresses', 'released address'],
  ['restoredFiles', 'rewrote'],
  ['removedFiles', 'removed leftover file'],
  ['lostPorts', 'port now held by another owner, dropped'],
  ['conflicts', 'could not repair'],
];

/** The report as lines a person reads: "<what>: <object>", then the quarantine, then a summary line. */
export function reportLines(r: ReconcileReport): string[] {
  const out: string[] = [];
  for (const [key, what] of LINES) for (const item of r[key] as string[]) out.push(`${what}: ${item}`);
  if (r.firewallChanges > 0) out.push(`firewall: ${r.firewallChanges} changes to this state's part`);
  for (const q of r.quarantined) out.push(`quarantined: ${q.file} (${q.problem}) -> ${q.movedTo}`);
  out.push(out.length === 0 ? 'nothing to repair' : `${out.length} repaired`);
  return out;
}

export function reconcileCommand(): Command {
  return new Command('reconcile')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nDamaged state files it cannot rebuild are moved to <state>/run/quarantine/<time>/ and listed.\n\nExample:\n  netplumb reconcile')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const report = await withProgress('reconciling kernel and state', o, () => withEngine(cmd, (e) => e.reconcile()));
      if (o.json) return printJson(report);
      out(reportLines(report).map((l) => `${l}\n`).join(''));
    });
}
