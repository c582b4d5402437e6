// One call to the daemon: send, decode the answer, turn an error answer into
// the same error class the daemon caught, and ride out a daemon restart for
// the requests that can safely be sent again.
import { setTimeout as sleep } from 'node:timers/promises';
import { DaemonConnectionError } from '../core/errors.js';
import { errorFromWire, type WireError } from '../core/error-wire.js';
import { NOT_SENT, type Answer, type Transport } from './transport.js';

/**
 * Whether a request may be sent again after the connection broke with it in
 * flight: `idempotent` ones may (reads, creates carrying an idempotency key,
 * removes), others fail with DaemonConnectionError. Any request may be sent
 * again when it never left (no socket, nobody listening).
 */
export type Replay = 'idempotent' | 'once';

export interface CallOptions {
  replay?: Replay;
  /** Told when the request is sent again after a broken connection (a remove then accepts "already gone"). */
  onReplay?: () => void;
}

export interface Patience {
  /** How long to wait for a daemon that has not answered yet (one that is starting). */
  startTimeoutMs: number;
  /** How long to wait for a daemon that answered before and went away (a restart). */
  reconnectTimeoutMs: number;
}

function decode(a: Answer): unknown {
  if (a.body.length === 0) return undefined;
  const type = String(a.headers['content-type'] ?? '');
  const text = a.body.toString('utf8');
  return type.includes('json') ? JSON.parse(text) : text;
}

export class Caller {
  /** Whether the daemon has ever answered this caller. */
  private answered = false;

  constructor(
    readonly transport: Transport,
    private readonly patience: Patience,
  ) {}

  async call<T>(method: string, path: string, body?: unknown, o: CallOptions = {}): Promise<T> {
    const deadline = Date.now() + (this.answered ? this.patience.reconnectTimeoutMs : this.patience.startTimeoutMs);
    let replayed = false;
    for (;;) {
      let answer: Answer;
      try {
        answer = await this.transport.send(method, path, body);
      } catch (e) {
        const safe = e instanceof DaemonConnectionError && (NOT_SENT.has(e.code) || o.replay === 'idempotent');
        if (!safe || Date.now() >= deadline) throw e;
        if (!NOT_SENT.has((e as DaemonConnectionError).code)) replayed = true;
        await sleep(50);
        continue;
      }
      this.answered = true;
      if (replayed) o.onReplay?.();
      const value = decode(answer);
      if (answer.status >= 400) {
        const err = (value && typeof value === 'object' ? value : {}) as { message?: unknown; netplumb?: WireError };
        const message = typeof err.message === 'string' ? err.message : `netplumbd answered ${answer.status}`;
        throw errorFromWire(answer.status, message, err.netplumb);
      }
      return value as T;
    }
  }
}
