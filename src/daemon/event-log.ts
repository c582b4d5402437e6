// The daemon's memory of what changed: the last events (so that Docker's
// /events?since= can replay them, as dockerd keeps its last 256) and the
// live stream every watcher reads from.
import { EventQueue, type EventSubscription, type ModelEvent } from '../model/events.js';

export class EventLog {
  private readonly recent: ModelEvent[] = [];
  private readonly watchers = new Set<EventQueue<ModelEvent>>();

  constructor(private readonly keep = 1024) {}

  add(e: ModelEvent): void {
    this.recent.push(e);
    if (this.recent.length > this.keep) this.recent.shift();
    for (const w of this.watchers) w.push(e);
  }

  /** The remembered events at or after `sinceMs` (ms since the epoch). */
  since(sinceMs: number): ModelEvent[] {
    return this.recent.filter((e) => e.time >= sinceMs);
  }

  /** Every event from now on. */
  watch(): EventSubscription<ModelEvent> {
    const q: EventQueue<ModelEvent> = new EventQueue(() => this.watchers.delete(q));
    this.watchers.add(q);
    return q;
  }

  /** Ends every stream (the daemon is stopping). */
  closeAll(): void {
    for (const w of [...this.watchers]) w.close();
  }
}
