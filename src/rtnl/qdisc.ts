// An interface's root queueing discipline: netem (delay, jitter, loss, rate:
// a bad link, for tests) and tbf (a rate limit), on the interface's way out.
// Units here are the ones people write (ms, bits per second); the op takes
// the kernel's (ns, bytes per second).
import type { Call } from '../addon/native.js';
import type { Netns } from '../kernel/netns.js';
import { ValidationError } from '../core/errors.js';
import type { NetemOptions, Qdisc } from '../addon/wire/qdisc.js';
import { integer } from '../core/validate.js';
import { interfaceArgs, type InterfaceSelector } from './interface.js';
import { opCall } from '../addon/ops.js';

export type * from '../addon/wire/qdisc.js';

/** The longest delay netem's 32-bit tick fields hold: 2^32 ticks of 64 ns (~274 s). */
const MAX_DELAY_MS = Math.floor((2 ** 32 * 64) / 1e6);
/** Rates travel as 32-bit bytes per second. */
const MAX_RATE_BITS = (2 ** 32 - 2) * 8;

export interface NetemSettings extends InterfaceSelector {
  /** Added to every packet leaving the interface. */
  delayMs?: number;
  /** Delay varies by up to this much either way (needs delayMs). */
  jitterMs?: number;
  /** Share of packets dropped, 0-100. */
  lossPercent?: number;
  /** Packets held at most (default 1000). */
  limit?: number;
  rateBitsPerSecond?: number;
}

export interface RateLimitSettings extends InterfaceSelector {
  rateBitsPerSecond: number;
  /** Bucket size in bytes (default a tenth of a second at the rate, at least 1600). */
  burstBytes?: number;
  /** Bytes waiting before drops (default twice the burst). */
  limitBytes?: number;
}

function milliseconds(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DELAY_MS)
    throw new ValidationError(field, `${field} must be a number of milliseconds from 0 to ${MAX_DELAY_MS}, got ${String(value)}`);
  return Math.round(value * 1e6);
}

function bytesPerSecond(bits: unknown, field: string): number {
  if (typeof bits !== 'number' || !Number.isFinite(bits) || bits < 8 || bits > MAX_RATE_BITS)
    throw new ValidationError(field, `${field} must be a rate in bits per second from 8 to ${MAX_RATE_BITS}, got ${String(bits)}`);
  return Math.floor(bits / 8);
}

export const qdiscCalls = {
  /** Replaces the interface's root qdisc with netem. */
  netem(opts: NetemSettings): Call {
    const netem: NetemOptions = {};
    if (opts.delayMs !== undefined) netem.latencyNs = milliseconds(opts.delayMs, 'delayMs');
    if (opts.jitterMs !== undefined) {
      if (opts.delayMs === undefined) throw new ValidationError('jitterMs', 'jitterMs needs delayMs: jitter varies a delay');
      netem.jitterNs = milliseconds(opts.jitterMs, 'jitterMs');
    }
    if (opts.lossPercent !== undefined) {
      const p = opts.lossPercent;
      if (typeof p !== 'number' || !(p >= 0 && p <= 100)) throw new ValidationError('lossPercent', `lossPercent must be 0-100, got ${String(p)}`);
      netem.lossPercent = p;
    }
    if (opts.limit !== undefined) netem.limit = integer(opts.limit, 'limit', 1, 2 ** 32 - 1);
    if (opts.rateBitsPerSecond !== undefined) netem.rate = bytesPerSecond(opts.rateBitsPerSecond, 'rateBitsPerSecond');
    return opCall('qdisc.replace', { ...interfaceArgs(opts, true), type: 'netem', netem });
  },
  /** Replaces the interface's root qdisc with a token bucket (tbf) at the given rate. */
  rateLimit(opts: RateLimitSettings): Call {
    const rate = bytesPerSecond(opts.rateBitsPerSecond, 'rateBitsPerSecond');
    const tbf = { rate, ...(opts.burstBytes !== undefined ? { burst: integer(opts.burstBytes, 'burstBytes', 1600, 2 ** 32 - 1) } : {}),
      ...(opts.limitBytes !== undefined ? { limit: integer(opts.limitBytes, 'limitBytes', 1, 2 ** 32 - 1) } : {}) };
    return opCall('qdisc.replace', { ...interfaceArgs(opts, true), type: 'tbf', tbf });
  },
  /** Deletes the root qdisc: the kernel's default comes back. */
  delete(opts: InterfaceSelector & { ifExists?: boolean }): Call {
    return opCall('qdisc.delete', { ...interfaceArgs(opts, true), ifExists: opts.ifExists ?? false });
  },
  list(opts: InterfaceSelector = {}): Call {
    return opCall('qdisc.list', interfaceArgs(opts, false));
  },
};

export class Qdiscs {
  constructor(private readonly ns: Netns) {}

  async netem(opts: NetemSettings): Promise<void> {
    await this.ns.exec([qdiscCalls.netem(opts)]);
  }

  async rateLimit(opts: RateLimitSettings): Promise<void> {
    await this.ns.exec([qdiscCalls.rateLimit(opts)]);
  }

  /** False when the interface had only the kernel's default and `ifExists` was set. */
  async delete(opts: InterfaceSelector & { ifExists?: boolean }): Promise<boolean> {
    const [r] = await this.ns.exec([qdiscCalls.delete(opts)]);
    return r as boolean;
  }

  async list(opts: InterfaceSelector = {}): Promise<Qdisc[]> {
    const [r] = await this.ns.exec([qdiscCalls.list(opts)]);
    return r as Qdisc[];
  }
}
