// netplumb's own API next to Docker's: its paths, and the bodies that are
// not the model's own types. The daemon serves exactly these; the client
// calls exactly these.
import type { ClusterStatus, ReconcileReport } from '../model/index.js';

/** The prefix of netplumb's own endpoints (Docker's live at the root and under /v1.xx). */
export const API_PREFIX = '/netplumb/v1';

const part = (ref: string): string => encodeURIComponent(ref);

export const apiPaths = {
  info: `${API_PREFIX}/info`,
  settle: `${API_PREFIX}/settle`,
  networks: `${API_PREFIX}/networks`,
  network: (ref: string) => `${API_PREFIX}/networks/${part(ref)}`,
  networksPrune: `${API_PREFIX}/networks/prune`,
  sandboxes: `${API_PREFIX}/sandboxes`,
  sandbox: (ref: string) => `${API_PREFIX}/sandboxes/${part(ref)}`,
  sandboxPorts: (ref: string) => `${API_PREFIX}/sandboxes/${part(ref)}/ports`,
  sandboxConnect: (ref: string) => `${API_PREFIX}/sandboxes/${part(ref)}/connect`,
  sandboxDisconnect: (ref: string) => `${API_PREFIX}/sandboxes/${part(ref)}/disconnect`,
  sandboxExec: (ref: string) => `${API_PREFIX}/sandboxes/${part(ref)}/exec`,
  reconcile: `${API_PREFIX}/reconcile`,
  graph: `${API_PREFIX}/graph`,
  events: `${API_PREFIX}/events`,
  metrics: `${API_PREFIX}/metrics`,
} as const;

/** GET /netplumb/v1/info. */
export interface DaemonDescription {
  name: 'netplumbd';
  version: string;
  pid: number;
  stateDirs: { runtime: string; config: string };
  etcDir: string;
  /** Where it listens. */
  sockets: string[];
  /** What reconcile() repaired when the daemon started. */
  startupReconcile?: ReconcileReport;
  /** With --cluster-store: how this host stands with its cluster. */
  cluster?: ClusterStatus;
}

/** POST /netplumb/v1/networks/prune. */
export interface PruneAnswer {
  removed: string[];
}
