// What the overlay asks of a cluster store: keys with string values under
// prefixes, compare-and-set transactions, leases that take their keys with
// them when they end, and a watch of a prefix. etcd v3 provides it through
// its JSON gateway (etcd/), a directory of files provides it for static
// setups and tests without etcd (dir-store.ts).

export interface KeyValue {
  key: string;
  value: string;
  /** The lease the key is attached to (it goes when the lease ends). */
  lease?: string;
}

/** A transaction's condition on one key: absent, or holding exactly `value`. */
export type Compare = { key: string; absent: true } | { key: string; value: string };

/** What a transaction does when every condition holds. */
export type TxnOp = { put: string; value: string; lease?: string } | { delete: string; prefix?: boolean };

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** The new value (puts). */
  value?: string;
}

export interface WatchHandlers {
  /** Changes in the order the store made them. */
  events(events: WatchEvent[]): void;
  /**
   * The watch lost track (the store compacted past where it was, or it
   * could not resume): read the prefix again from a fresh range.
   */
  reset(): void;
  /** The store could not be reached for a while; the watch keeps retrying. */
  error?(e: Error): void;
}

export interface StoreWatch {
  close(): void;
}

export interface ClusterStore {
  /** The store's address as configured (etcd://h1:2379,h2:2379 or dir:///path), for messages. */
  readonly address: string;
  /** Every key under `prefix`, and the revision the read saw (watch from revision + 1). */
  range(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }>;
  get(key: string): Promise<KeyValue | undefined>;
  put(key: string, value: string, opts?: { lease?: string }): Promise<void>;
  /** Deletes a key (or every key under it with `prefix`); resolves to how many went. */
  delete(key: string, opts?: { prefix?: boolean }): Promise<number>;
  /** All conditions hold → all operations, atomically; resolves to whether they held. */
  txn(compares: Compare[], ops: TxnOp[]): Promise<boolean>;
  /** A lease of `ttlSeconds`; its keys go when it is revoked or not kept alive. */
  grant(ttlSeconds: number): Promise<string>;
  /** Renews a lease; false when it is gone (expired or revoked). */
  keepAlive(lease: string): Promise<boolean>;
  revoke(lease: string): Promise<void>;
  /** Changes under `prefix` after `revision`, until closed. */
  watch(prefix: string, revision: number, handlers: WatchHandlers): StoreWatch;
  close(): Promise<void>;
}
