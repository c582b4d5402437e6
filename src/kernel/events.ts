// A netlink event subscription as an async iterator. The addon reads the
// socket on the JS thread when it is readable; a kernel drop arrives as an
// explicit { type: 'overrun' } event so the consumer knows to resync.
import { fromNative } from '../core/errors.js';
import { native, type EventWatchInstance } from '../addon/native.js';
import type { Netns } from './netns.js';
import { opCall } from '../addon/ops.js';

export interface OverrunEvent {
  type: 'overrun';
}

export class EventStream<T> implements AsyncIterableIterator<T | OverrunEvent>, AsyncDisposable {
  private readonly queue: (T | OverrunEvent)[] = [];
  // Callers of next() waiting for an event, served in order.
  private readonly waiters: ((r: IteratorResult<T | OverrunEvent>) => void)[] = [];
  private watch: EventWatchInstance | undefined;
  private done = false;

  private constructor(private readonly decode: (raw: unknown) => T | undefined) {}

  /** Subscribes in `ns` to the multicast groups of `protocol` (NETLINK_ROUTE = 0, NETLINK_NETFILTER = 12). */
  static async open<T>(
    ns: Netns,
    protocol: number,
    groups: number[],
    decode: (raw: unknown) => T | undefined,
  ): Promise<EventStream<T>> {
    const stream = new EventStream<T>(decode);
    let fd: number;
    try {
      [fd] = (await ns.exec([opCall('events.open', { protocol, groups })])) as [number];
    } catch (e) {
      throw fromNative(e);
    }
    stream.watch = new native.EventWatch(fd, protocol, (batch) => stream.push(batch));
    return stream;
  }

  private push(batch: unknown[]): void {
    for (const raw of batch) {
      const ev =
        raw && typeof raw === 'object' && (raw as { type?: unknown }).type === 'overrun'
          ? ({ type: 'overrun' } as OverrunEvent)
          : this.decode(raw);
      if (ev === undefined) continue;
      const w = this.waiters.shift();
      if (w) {
        w({ value: ev, done: false });
      } else {
        this.queue.push(ev);
      }
    }
  }

  next(): Promise<IteratorResult<T | OverrunEvent>> {
    const ev = this.queue.shift();
    if (ev !== undefined) return Promise.resolve({ value: ev, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops the subscription; a pending next() resolves as done. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.watch?.close();
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  return(): Promise<IteratorResult<T | OverrunEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}
