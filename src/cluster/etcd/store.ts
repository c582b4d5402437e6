// The cluster store on etcd v3, through its JSON gateway with Node's fetch:
// no client library and no gRPC stack to install, and the same requests
// work against etcd 3.4 (Debian 12's etcd-server) and 3.5.
import type { ClusterStore, Compare, KeyValue, StoreWatch, TxnOp, WatchHandlers } from '../store.js';
import { EtcdWatch } from './watch.js';
import { Gateway, b64, prefixEnd, unb64, type GatewayOptions } from './gateway.js';

interface RangeAnswer {
  header?: { revision?: string };
  kvs?: { key: string; value?: string; lease?: string }[];
}

function compareOf(c: Compare): Record<string, unknown> {
  if ('absent' in c) return { key: b64(c.key), target: 'CREATE', result: 'EQUAL', create_revision: '0' };
  return { key: b64(c.key), target: 'VALUE', result: 'EQUAL', value: b64(c.value) };
}

function opOf(o: TxnOp): Record<string, unknown> {
  if ('put' in o) return { request_put: { key: b64(o.put), value: b64(o.value), ...(o.lease ? { lease: o.lease } : {}) } };
  return { request_delete_range: { key: b64(o.delete), ...(o.prefix ? { range_end: prefixEnd(o.delete) } : {}) } };
}

export class EtcdStore implements ClusterStore {
  private readonly gateway: Gateway;
  private readonly watches = new Set<StoreWatch>();

  constructor(
    readonly address: string,
    endpoints: readonly string[],
    opts: GatewayOptions = {},
  ) {
    this.gateway = new Gateway(address, endpoints, opts);
  }

  async range(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }> {
    const r = await this.gateway.call<RangeAnswer>('kv/range', { key: b64(prefix), range_end: prefixEnd(prefix) });
    const kvs = (r.kvs ?? []).map((kv) => ({ key: unb64(kv.key), value: unb64(kv.value), ...(kv.lease ? { lease: kv.lease } : {}) }));
    return { kvs, revision: Number(r.header?.revision ?? 0) };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const r = await this.gateway.call<RangeAnswer>('kv/range', { key: b64(key) });
    const kv = r.kvs?.[0];
    return kv ? { key, value: unb64(kv.value), ...(kv.lease ? { lease: kv.lease } : {}) } : undefined;
  }

  async put(key: string, value: string, opts: { lease?: string } = {}): Promise<void> {
    await this.gateway.call('kv/put', { key: b64(key), value: b64(value), ...(opts.lease ? { lease: opts.lease } : {}) });
  }

  async delete(key: string, opts: { prefix?: boolean } = {}): Promise<number> {
    const r = await this.gateway.call<{ deleted?: string }>('kv/deleterange', { key: b64(key), ...(opts.prefix ? { range_end: prefixEnd(key) } : {}) });
    return Number(r.deleted ?? 0);
  }

  async txn(compares: Compare[], ops: TxnOp[]): Promise<boolean> {
    const r = await this.gateway.call<{ succeeded?: boolean }>('kv/txn', { compare: compares.map(compareOf), success: ops.map(opOf) });
    return r.succeeded === true;
  }

  async grant(ttlSeconds: number): Promise<string> {
    const r = await this.gateway.call<{ ID: string; error?: string }>('lease/grant', { TTL: ttlSeconds });
    return r.ID;
  }

  async keepAlive(lease: string): Promise<boolean> {
    // One request on the streaming endpoint: etcd answers once and the stream ends with the body.
    const r = await this.gateway.call<{ result?: { TTL?: string } }>('lease/keepalive', { ID: lease });
    return Number(r.result?.TTL ?? 0) > 0;
  }

  async revoke(lease: string): Promise<void> {
    try {
      await this.gateway.call('lease/revoke', { ID: lease });
    } catch (e) {
      // Revoking a lease that already ended is not a failure.
      if (!/not found/i.test((e as Error).message)) throw e;
    }
  }

  watch(prefix: string, revision: number, handlers: WatchHandlers): StoreWatch {
    const w = new EtcdWatch(this.gateway, prefix, revision, {
      ...handlers,
      reset: () => {
        this.watches.delete(w);
        handlers.reset();
      },
    });
    this.watches.add(w);
    return { close: () => (w.close(), this.watches.delete(w)) };
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.close();
    this.watches.clear();
  }
}
