// Loads the addon (a prebuild from prebuilds/ or the local build) and
// describes what it exports. Nothing else in the package touches it directly
// except through exec().
import { createRequire } from 'node:module';
import { PACKAGE_ROOT } from '../core/package.js';

/** A network namespace held open by the addon. Passed back as an argument to operations. */
export interface NativeNetns {
  readonly closed: boolean;
  readonly label: string;
  readonly inode: number;
  readonly fd: number | null;
  close(): void;
}

/** One operation of a plan: a core operation name, its arguments, and optionally another namespace. */
export interface Call {
  op: string;
  args?: Record<string, unknown>;
  /** The arguments as JSON text instead of `args` (exec() sends bulk ones so). */
  argsJson?: string;
  netns?: NativeNetns | ResultRef;
}

/** Stands for the result of an earlier call in the same plan. */
export interface ResultRef {
  $result: number;
}

export interface EventWatchInstance {
  close(): void;
}

/** A unix socket where each connection carries one request (until the client's EOF) and gets one answer. */
export interface OneShotServerInstance {
  /** Sends the answer and closes the connection; false when the client is gone. */
  reply(id: number, answer: string): boolean;
  /** Stops listening and closes connections still sending; requests handed out still get their answers. */
  close(): void;
  /** Connections open (sending, or waiting for their answer). */
  connections(): number;
}

/** What exec resolves to when asked for timings. */
export interface TimedResults {
  results: unknown[];
  /** Each call's duration in ms, measured on the worker thread that ran it (no JS or queueing in it). */
  timings: number[];
}

interface NativeModule {
  exec(netns: NativeNetns | null, calls: Call[]): Promise<unknown[]>;
  exec(netns: NativeNetns | null, calls: Call[], options: { timings: true }): Promise<TimedResults>;
  /** Every operation the core registered; test/unit/addon/ops.test.ts holds it equal to OPS. */
  opNames(): string[];
  /** The name of the addon's worker threads, as the kernel reports a committing thread in nf_tables events. */
  readonly workerThreadName: string;
  processNetns(): NativeNetns;
  NetnsHandle: new (...args: never[]) => NativeNetns;
  EventWatch: new (fd: number, protocol: number, onEvents: (events: unknown[]) => void) => EventWatchInstance;
  /**
   * Binds and listens on `path` at once (the caller's umask applies to the socket file). A connection
   * whose request is not whole within `requestTimeoutMs` (at most twice that) is closed unanswered.
   */
  OneShotServer: new (path: string, maxRequestBytes: number, requestTimeoutMs: number, onRequest: (id: number, request: Buffer) => void) => OneShotServerInstance;
}

const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (dir: string) => NativeModule;

export const native: NativeModule = load(PACKAGE_ROOT);
