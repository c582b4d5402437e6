// The one road to the kernel: a list of calls goes to the addon in one trip
// and runs on an addon-owned thread; a failure undoes the calls before it.
import { fromNative } from '../core/errors.js';
import { native, type Call, type NativeNetns, type TimedResults } from './native.js';

export type { TimedResults };

export interface ExecOptions {
  /** Also return each call's duration on the worker thread (ms): for finding which step costs what. */
  timings?: boolean;
}

/**
 * Operations whose arguments are bulk plain data (strings, numbers, booleans:
 * thousands of routes, neighbours and FDB entries): they cross as one JSON
 * string, which V8 writes and the core parses in a fraction of the time the
 * addon takes to convert each object member by member (~15 µs per change).
 */
const JSON_ARGS: ReadonlySet<string> = new Set(['rtnl.apply']);

const asSent = (c: Call): Call =>
  JSON_ARGS.has(c.op) && c.args !== undefined ? { op: c.op, argsJson: JSON.stringify(c.args), ...(c.netns !== undefined ? { netns: c.netns } : {}) } : c;

export async function exec(netns: NativeNetns | null, calls: Call[]): Promise<unknown[]>;
export async function exec(netns: NativeNetns | null, calls: Call[], options: { timings: true }): Promise<TimedResults>;
export async function exec(netns: NativeNetns | null, calls: Call[], options?: ExecOptions): Promise<unknown[] | TimedResults>;
export async function exec(netns: NativeNetns | null, calls: Call[], options: ExecOptions = {}): Promise<unknown[] | TimedResults> {
  if (calls.some((c) => JSON_ARGS.has(c.op))) calls = calls.map(asSent);
  try {
    return options.timings ? await native.exec(netns, calls, { timings: true }) : await native.exec(netns, calls);
  } catch (e) {
    throw fromNative(e);
  }
}

/** Runs a single call and returns its result. */
export async function execOne<T>(netns: NativeNetns | null, call: Call): Promise<T> {
  const [result] = await exec(netns, [call]);
  return result as T;
}
