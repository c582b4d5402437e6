// What reconcile() did, category by category, so that a caller (and
// `netplumb reconcile`) can say what was repaired.

export interface QuarantinedFile {
  /** The state file that could not be used. */
  file: string;
  /** What was wrong with it. */
  problem: string;
  /** Where it was moved (kept for a person to look at; never read again). */
  movedTo: string;
}

export interface ReconcileReport {
  /** Sandboxes whose namespace had vanished (or is another namespace now), now removed. */
  removedSandboxes: string[];
  /** Sandboxes whose creation never finished (a process died half way), everything they had made removed. */
  rolledBack: string[];
  /** Namespaces of this state that no sandbox owns any more, now deleted. */
  removedNamespaces: string[];
  /** Links carrying this state's mark that no record owns, now deleted. */
  removedLinks: string[];
  /** Bridges and endpoints that were missing and were made again. */
  restoredBridges: string[];
  restoredEndpoints: string[];
  /** Links found down, off their bridge or without hairpin, put right ("<sandbox>/<ifname>" or the bridge). */
  restoredLinks: string[];
  /** Addresses and routes that were missing in sandboxes or on bridges, put back. */
  restoredAddresses: string[];
  /** Endpoints on networks that are gone, taken out of their sandboxes. */
  detachedEndpoints: string[];
  /** Addresses that were held by no live endpoint. */
  releasedAddresses: string[];
  /** State files written again from the records and the kernel (name index, IPAM entries, port documents, hosts, resolv.conf). */
  restoredFiles: string[];
  /** Files of writers that died (temporary files, index entries pointing nowhere), removed. */
  removedFiles: string[];
  /** Damaged state files that could not be rebuilt, moved to the quarantine directory. */
  quarantined: QuarantinedFile[];
  /** Published ports another state root holds now: no longer this sandbox's ("<sandbox> <ip>:<port>/<proto>"). */
  lostPorts: string[];
  /** What could not be repaired because it is someone else's now (a bridge name taken by another owner's link). */
  conflicts: string[];
  /** Changes made to this state's part of the firewall (0 when it was right). */
  firewallChanges: number;
}

export function emptyReport(): ReconcileReport {
  return {
    removedSandboxes: [],
    rolledBack: [],
    removedNamespaces: [],
    removedLinks: [],
    restoredBridges: [],
    restoredEndpoints: [],
    restoredLinks: [],
    restoredAddresses: [],
    detachedEndpoints: [],
    releasedAddresses: [],
    restoredFiles: [],
    removedFiles: [],
    quarantined: [],
    lostPorts: [],
    conflicts: [],
    firewallChanges: 0,
  };
}

/** How many things reconcile changed in all. */
export function repairCount(r: ReconcileReport): number {
  return Object.values(r).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : typeof v === 'number' ? v : 0), 0);
}
