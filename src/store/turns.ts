// Whose turn it is to change a state root, among the callers of this process
// (the lock file settles it between processes). One holder runs at a time.
// A holder may park while it waits for something that is not the state (a
// create whose records are written, waiting for its kernel plan on an addon
// thread): then holders that may run beside a parked one take their turns,
// and an exclusive one waits until nobody is parked, so that it never meets
// a change half made. A parked holder comes back ahead of anyone queued.

export type TurnKind =
  /** Runs only when no other holder runs or is parked. */
  | 'exclusive'
  /** Runs while others are parked (never while one runs): creates, which know each other's records in flight. */
  | 'beside-parked';

interface Waiting {
  kind: TurnKind | 'resuming';
  go: () => void;
}

export class Turns {
  private running = false;
  /** Tags of the parked holders. */
  private readonly parked = new Set<string>();
  private readonly queue: Waiting[] = [];

  /** Waits for this caller's turn. */
  enter(kind: TurnKind): Promise<void> {
    return new Promise((go) => {
      this.queue.push({ kind, go });
      this.next();
    });
  }

  /** Ends the running holder's turn. */
  leave(): void {
    this.running = false;
    this.next();
  }

  /** Runs `fn` in a turn of its own. */
  async run<T>(kind: TurnKind, fn: () => Promise<T>): Promise<T> {
    await this.enter(kind);
    try {
      return await fn();
    } finally {
      this.leave();
    }
  }

  /**
   * The running holder gives up its turn, under `tag`, until `work` settles;
   * resolves or rejects as `work` does, once its turn is back.
   */
  async park<T>(tag: string, work: Promise<T>): Promise<T> {
    this.parked.add(tag);
    this.leave();
    try {
      return await work;
    } finally {
      await new Promise<void>((go) => {
        this.queue.unshift({ kind: 'resuming', go });
        this.next();
      });
      this.parked.delete(tag);
    }
  }

  /** Whether a holder under `tag` is parked (its change is in flight, not dead). */
  isParked(tag: string): boolean {
    return this.parked.has(tag);
  }

  private next(): void {
    const head = this.queue[0];
    if (this.running || head === undefined) return;
    // The queue's order is kept: an exclusive holder at its head holds back those behind it until the parked are done.
    if (head.kind === 'exclusive' && this.parked.size > 0) return;
    this.queue.shift();
    this.running = true;
    head.go();
  }
}

/** Per lock file, its turns in this process. */
const byLock = new Map<string, Turns>();

export function turnsOf(lock: string): Turns {
  let t = byLock.get(lock);
  if (!t) byLock.set(lock, (t = new Turns()));
  return t;
}
