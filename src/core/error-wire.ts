// Errors across the daemon's socket: the daemon sends what an error is (its
// class and the fields callers switch on) next to Docker's `message`, and the
// client makes the same class again, so code written against Engine.open
// catches the same errors through Engine.connect.
import {
  AddressInUseError,
  AlreadyExistsError,
  BusyError,
  ConflictError,
  DaemonConnectionError,
  DaemonRunningError,
  DnsFormatError,
  DumpInterruptedError,
  KernelError,
  LockTimeoutError,
  NetplumbError,
  NoSuchObjectError,
  NotFoundError,
  PermissionError,
  PoolExhaustedError,
  RequestError,
  StaleGenerationError,
  SystemCallError,
  ValidationError,
  type KernelErrorFields,
  type KernelRequestKind,
} from './errors.js';

/** The `netplumb` key of an error body: the class and its fields. */
export interface WireError {
  class: string;
  [field: string]: unknown;
}

const KERNEL_CLASSES: Record<string, typeof KernelError> = {
  KernelError,
  NetlinkError: KernelError,
  SystemCallError: KernelError,
  AlreadyExistsError,
  NotFoundError,
  PermissionError,
  BusyError,
  DumpInterruptedError,
  StaleGenerationError,
};

/** Own enumerable fields of an error that are plain data (what its constructor was given). */
function fieldsOf(e: Error): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'name' || k === 'message' || k === 'stack' || k === 'cause') continue;
    if (v === undefined || typeof v === 'function') continue;
    out[k] = v;
  }
  return out;
}

/** What the daemon sends about an error (besides the message). */
export function errorToWire(e: unknown): WireError {
  if (!(e instanceof NetplumbError)) return { class: 'Error' };
  return { class: e.constructor.name, ...fieldsOf(e) };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function build(message: string, status: number, w: WireError): Error {
  switch (w.class) {
    case 'ValidationError':
      return new ValidationError(str(w.field) ?? 'request', message);
    case 'NoSuchObjectError': {
      const kind = str(w.kind);
      return new NoSuchObjectError(kind === 'sandbox' || kind === 'endpoint' ? kind : 'network', str(w.ref) ?? '');
    }
    case 'ConflictError': {
      const reason = str(w.reason) as ConflictError['reason'] | undefined;
      return new ConflictError(reason ?? 'in-use', message);
    }
    case 'AddressInUseError':
      return new AddressInUseError(str(w.address) ?? '', message);
    case 'PoolExhaustedError':
      return new PoolExhaustedError(str(w.pool) ?? '', message);
    case 'LockTimeoutError':
      return new LockTimeoutError(str(w.lockPath) ?? '', num(w.timeoutMs) ?? 0, num(w.holderPid));
    case 'DaemonRunningError':
      return new DaemonRunningError(num(w.pid) ?? 0, str(w.socket), str(w.runtimeDir) ?? '');
    case 'DaemonConnectionError':
      return new DaemonConnectionError(str(w.socket) ?? '', str(w.code) ?? '', message);
    case 'DnsFormatError':
      return new DnsFormatError(message, num(w.id));
    case 'RequestError':
      return new RequestError(num(w.status) ?? status, message);
    case 'NetplumbError':
      return new NetplumbError(message);
  }
  const Kernel = KERNEL_CLASSES[w.class];
  if (Kernel) {
    const f: KernelErrorFields = { errno: num(w.errno) ?? 0, code: str(w.code) ?? 'EUNKNOWN', op: str(w.op) ?? '', object: str(w.object) ?? '' };
    if (str(w.extack) !== undefined) f.extack = str(w.extack) as string;
    if (num(w.extackOffset) !== undefined) f.extackOffset = num(w.extackOffset) as number;
    const request: KernelRequestKind = w.request === 'syscall' || w.class === 'SystemCallError' ? 'syscall' : 'netlink';
    return w.class === 'SystemCallError' ? new SystemCallError(message, f) : new Kernel(message, f, request);
  }
  // A failure the daemon did not classify (a bug, a full disk): its status and message.
  return new RequestError(status, message);
}

/** The error a client throws for a daemon's error answer: the same class the daemon caught, with its message and fields. */
export function errorFromWire(status: number, message: string, w: WireError | undefined): Error {
  const e = w ? build(message, status, w) : new RequestError(status, message);
  // The daemon's message is the one that was shown there; keep it word for word.
  e.message = message;
  if (w && e instanceof NetplumbError) {
    if (num(w.planIndex) !== undefined) e.planIndex = num(w.planIndex) as number;
    if (Array.isArray(w.undoFailures)) e.undoFailures = w.undoFailures.filter((x): x is string => typeof x === 'string');
  }
  return e;
}
