// Opening the cluster store named by its address.
import { DirStore } from './dir-store.js';
import { EtcdStore } from './etcd/store.js';
import { parseStoreAddress } from './address.js';
import type { ClusterStore } from './store.js';
import type { Connector } from './etcd/http.js';

export interface StoreOptions {
  /** etcd: per request (default 3000 ms). */
  timeoutMs?: number;
  /** dir: how often a watch looks at the directory (default 500 ms; fs.watch nudges it sooner). */
  pollMs?: number;
  /** etcd: how TCP connections are opened (default: from this process's namespace). */
  connect?: Connector;
}

export function openClusterStore(address: string, opts: StoreOptions = {}): ClusterStore {
  const a = parseStoreAddress(address);
  if (a.kind === 'dir') return new DirStore(a.address, a.path, opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {});
  return new EtcdStore(a.address, a.endpoints, {
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.connect ? { connect: opts.connect } : {}),
  });
}
