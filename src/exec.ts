// The one road to the kernel: a list of calls goes to the addon in one trip
// and runs on an addon-owned thread; a failure undoes the calls before it.
import { fromNative } from './errors.js';
import { native, type Call, type NativeNetns } from './native.js';

export async function exec(netns: NativeNetns | null, calls: Call[]): Promise<unknown[]> {
  try {
    return await native.exec(netns, calls);
  } catch (e) {
    throw fromNative(e);
  }
}

/** Runs a single call and returns its result. */
export async function execOne<T>(netns: NativeNetns | null, call: Call): Promise<T> {
  const [result] = await exec(netns, [call]);
  return result as T;
}
