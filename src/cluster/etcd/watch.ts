// A watch of one prefix over the gateway's streaming /v3/watch: one JSON
// object per line, held open by etcd. When the stream breaks, it is opened
// again (on the next endpoint) from the revision after the last one seen, so
// no change is lost; when etcd has compacted past that revision, or after
// the watch was cancelled, the caller is told to read the prefix again.
import type { StoreWatch, WatchEvent, WatchHandlers } from '../store.js';
import { b64, prefixEnd, unb64, type Gateway } from './gateway.js';
import { post } from './http.js';
import type { IncomingMessage } from 'node:http';

interface WatchKv {
  key: string;
  value?: string;
  mod_revision?: string;
}
interface WatchMessage {
  result?: {
    header?: { revision?: string };
    created?: boolean;
    canceled?: boolean;
    compact_revision?: string;
    cancel_reason?: string;
    events?: { type?: 'PUT' | 'DELETE'; kv: WatchKv }[];
  };
  error?: { message?: string };
}

export class EtcdWatch implements StoreWatch {
  private closed = false;
  private response: IncomingMessage | undefined;
  private next: number;

  constructor(
    private readonly gateway: Gateway,
    private readonly prefix: string,
    revision: number,
    private readonly handlers: WatchHandlers,
    private readonly retryMs = 500,
  ) {
    this.next = revision + 1;
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      try {
        await this.stream();
      } catch (e) {
        if (this.closed) return;
        this.handlers.error?.(e as Error);
        this.gateway.rotate();
      }
      if (!this.closed) await new Promise((r) => setTimeout(r, this.retryMs).unref());
    }
  }

  /** One stream, until it ends or fails. */
  private async stream(): Promise<void> {
    const res = await post(this.gateway.connect, this.gateway.endpoint, '/v3/watch', {
      create_request: { key: b64(this.prefix), range_end: prefixEnd(this.prefix), start_revision: String(this.next), progress_notify: true },
    }, this.gateway.timeoutMs);
    this.response = res;
    if (this.closed) return void res.destroy();
    if (res.statusCode !== 200) {
      res.destroy();
      throw new Error(`watch answered HTTP ${res.statusCode}`);
    }
    res.setEncoding('utf8');
    let buffered = '';
    for await (const chunk of res as AsyncIterable<string>) {
      if (this.closed) return;
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line !== '') this.message(JSON.parse(line) as WatchMessage);
      }
    }
  }

  private message(m: WatchMessage): void {
    if (m.error) throw new Error(m.error.message ?? 'watch error');
    const r = m.result;
    if (!r) return;
    if (r.canceled || (r.compact_revision !== undefined && r.compact_revision !== '0')) {
      // Too far behind to resume: start again from what the store holds now.
      this.closed = true;
      this.response?.destroy();
      this.handlers.reset();
      return;
    }
    const events: WatchEvent[] = [];
    for (const e of r.events ?? []) {
      const key = unb64(e.kv.key);
      events.push(e.type === 'DELETE' ? { type: 'delete', key } : { type: 'put', key, value: unb64(e.kv.value) });
      const rev = Number(e.kv.mod_revision ?? 0);
      if (rev >= this.next) this.next = rev + 1;
    }
    // Progress and creation messages carry the revision the watch has reached.
    const header = Number(r.header?.revision ?? 0);
    if (!r.events?.length && header >= this.next) this.next = header + 1;
    if (events.length > 0) this.handlers.events(events);
  }

  close(): void {
    this.closed = true;
    this.response?.destroy();
  }
}
