// Event boundaries for crash tests, shared with the addon's (native/core/
// boundary.h): off unless NETPLUMB_BOUNDARY_LOG names a file. Then every
// state-file write and removal appends one fixed-size record to that file
// before it happens (the addon appends one per trip to the kernel), and when
// the count of records reaches NETPLUMB_KILL_AT the process kills itself with
// SIGKILL — a crash at exactly that instant, which no catch or finally sees.
// The addon's threads append beside this one: whoever first counts at or past
// NETPLUMB_KILL_AT kills (two appends before either's count would otherwise
// skip it, and the process would run on).
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';

/** Bytes per record, as native/core/boundary.h's kBoundaryRecord. */
const RECORD = 64;

const log = process.env.NETPLUMB_BOUNDARY_LOG;
const killAt = Number(process.env.NETPLUMB_KILL_AT ?? 0);

export function boundary(what: string): void {
  if (!log) return;
  const record = Buffer.alloc(RECORD, ' ');
  record.write(`state ${what}`.slice(0, RECORD - 1));
  record[RECORD - 1] = 0x0a;
  const fd = openSync(log, 'a');
  let count: number;
  try {
    writeSync(fd, record);
    count = fstatSync(fd).size / RECORD;
  } finally {
    closeSync(fd);
  }
  if (killAt > 0 && count >= killAt) {
    process.kill(process.pid, 'SIGKILL');
    // Nothing after the signal may run; spin until it lands.
    for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
}
