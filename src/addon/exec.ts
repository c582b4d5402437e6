// The one road to the kernel: a list of calls goes to the addon in one trip
// and runs on an addon-owned thread; a failure undoes the calls before it.
import { fromNative } from '../core/errors.js';
import { native, type Call, type NativeNetns, type TimedResults } from './native.js';

export type { TimedResults };

export interface ExecOptions {
  /** Also return each call's duration on the worker thread (ms): for finding which step costs what. */
  timings?: boolean;
}

export async function exec(netns: NativeNetns | null, calls: Call[]): Promise<unknown[]>;
export async function exec(netns: NativeNetns | null, calls: Call[], options: { timings: true }): Promise<TimedResults>;
export async function exec(netns: NativeNetns | null, calls: Call[], options?: ExecOptions): Promise<unknown[] | TimedResults>;
export async function exec(netns: NativeNetns | null, calls: Call[], options: ExecOptions = {}): Promise<unknown[] | TimedResults> {
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
