// A plan: several calls sent to the kernel in one trip, applied in order, and
// undone together if any fails. Hot paths build one plan per endpoint.
import { exec, type ExecOptions } from './exec.js';
import type { Call, NativeNetns, ResultRef, TimedResults } from './native.js';

/** The result of call `index` of a plan, usable as an argument (or target namespace) of later calls. */
export class PlanRef<T = unknown> implements ResultRef {
  declare readonly _type?: T;
  constructor(readonly $result: number) {}
  toJSON(): ResultRef {
    return { $result: this.$result };
  }
}

export class Plan {
  readonly calls: Call[] = [];
  constructor(private readonly netns: NativeNetns | null) {}

  /** Adds a call; `netns` runs it in another namespace (a handle, or a ref to a namespace made earlier in the plan). */
  add<T = unknown>(call: Call, netns?: NativeNetns | PlanRef): PlanRef<T> {
    const c: Call = netns === undefined ? call : { ...call, netns: refOrHandle(netns) };
    this.calls.push(c);
    return new PlanRef<T>(this.calls.length - 1);
  }

  /**
   * Sends the plan; resolves to each call's result in order. With
   * `{ timings: true }` it resolves to `{ results, timings }`, timings being
   * each call's duration in ms on the worker thread.
   */
  async run(): Promise<unknown[]>;
  async run(options: { timings: true }): Promise<TimedResults>;
  async run(options?: ExecOptions): Promise<unknown[] | TimedResults>;
  async run(options: ExecOptions = {}): Promise<unknown[] | TimedResults> {
    // A PlanRef among the arguments reaches the addon as it is: its one member, $result, is what the core reads.
    return exec(this.netns, this.calls, options);
  }
}

function refOrHandle(n: NativeNetns | PlanRef): NativeNetns | ResultRef {
  return n instanceof PlanRef ? { $result: n.$result } : n;
}
