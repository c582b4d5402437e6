// The errors netplumb throws. Every failure from the kernel is a NetlinkError
// (or a subclass) carrying errno, its code, the operation, the object it was
// about and the kernel's extended-ACK text; bad input is a ValidationError
// raised before anything is sent.

export interface NetplumbErrorFields {
  /** Index of the plan call that failed, when the failure came from a plan. */
  planIndex?: number;
  /** Steps that could not be undone after the failure (normally empty). */
  undoFailures?: string[];
}

export class NetplumbError extends Error {
  planIndex?: number;
  undoFailures?: string[];
  constructor(message: string, fields: NetplumbErrorFields = {}) {
    super(message);
    this.name = new.target.name;
    if (fields.planIndex !== undefined) this.planIndex = fields.planIndex;
    if (fields.undoFailures?.length) this.undoFailures = fields.undoFailures;
  }
}

/** Input that cannot be sent to the kernel; nothing was changed. */
export class ValidationError extends NetplumbError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface KernelErrorFields extends NetplumbErrorFields {
  errno: number;
  code: string;
  op: string;
  object: string;
  extack?: string;
  extackOffset?: number;
}

/** The kernel refused a netlink request. */
export class NetlinkError extends NetplumbError {
  readonly errno: number;
  readonly code: string;
  /** The request: RTM_NEWLINK, NFT_MSG_NEWRULE, ... */
  readonly op: string;
  /** What it was about: "veth0", "table inet netplumb". */
  readonly object: string;
  /** The kernel's extended-ACK message, when it gave one. */
  readonly extack?: string;
  readonly extackOffset?: number;
  constructor(message: string, f: KernelErrorFields) {
    super(message, f);
    this.errno = f.errno;
    this.code = f.code;
    this.op = f.op;
    this.object = f.object;
    if (f.extack !== undefined) this.extack = f.extack;
    if (f.extackOffset !== undefined) this.extackOffset = f.extackOffset;
  }
}

/** EEXIST: the object is already there. */
export class AlreadyExistsError extends NetlinkError {}
/** ENOENT / ENODEV / ESRCH / EADDRNOTAVAIL: the object is not there. */
export class NotFoundError extends NetlinkError {}
/** EPERM / EACCES: not allowed (no CAP_NET_ADMIN in the namespace, or an owned nf_tables table). */
export class PermissionError extends NetlinkError {}
/** EBUSY / EADDRINUSE: in use. */
export class BusyError extends NetlinkError {}
/** The dump changed while it was read (NLM_F_DUMP_INTR); read it again. */
export class DumpInterruptedError extends NetlinkError {}
/** ERESTART: an nf_tables transaction was prepared against an older ruleset generation. */
export class StaleGenerationError extends NetlinkError {}
/** A system call outside netlink failed (mount, setns, open, bind, ...). */
export class SystemCallError extends NetlinkError {}

const byCode: Record<string, new (m: string, f: KernelErrorFields) => NetlinkError> = {
  EEXIST: AlreadyExistsError,
  ENOENT: NotFoundError,
  ENODEV: NotFoundError,
  ESRCH: NotFoundError,
  EADDRNOTAVAIL: NotFoundError,
  EPERM: PermissionError,
  EACCES: PermissionError,
  EBUSY: BusyError,
  EADDRINUSE: BusyError,
  ERESTART: StaleGenerationError,
};

interface RawNativeError extends Error {
  kind?: string;
  errno?: number;
  code?: string;
  op?: string;
  object?: string;
  extack?: string;
  extackOffset?: number;
  field?: string;
  planIndex?: number;
  undoFailures?: string[];
}

/** Turns an error object from the addon into the matching typed error. */
export function fromNative(e: unknown): Error {
  if (!(e instanceof Error)) return new NetplumbError(String(e));
  const raw = e as RawNativeError;
  if (raw instanceof NetplumbError || raw.kind === undefined) return raw;
  const plan: NetplumbErrorFields = {};
  if (raw.planIndex !== undefined) plan.planIndex = raw.planIndex;
  if (raw.undoFailures !== undefined) plan.undoFailures = raw.undoFailures;
  let out: Error;
  if (raw.kind === 'InvalidArgument') {
    const v = new ValidationError(raw.field ?? 'argument', raw.message);
    Object.assign(v, plan);
    out = v;
  } else if (raw.kind === 'NetlinkError' || raw.kind === 'DumpInterrupted' || raw.kind === 'SystemError') {
    const fields: KernelErrorFields = {
      errno: raw.errno ?? 0,
      code: raw.code ?? 'EUNKNOWN',
      op: raw.op ?? '',
      object: raw.object ?? '',
      ...plan,
    };
    if (raw.extack !== undefined) fields.extack = raw.extack;
    if (raw.extackOffset !== undefined) fields.extackOffset = raw.extackOffset;
    const Cls =
      raw.kind === 'DumpInterrupted'
        ? DumpInterruptedError
        : (byCode[fields.code] ?? (raw.kind === 'SystemError' ? SystemCallError : NetlinkError));
    out = new Cls(raw.message, fields);
  } else {
    out = new NetplumbError(raw.message, plan);
  }
  if (plan.undoFailures?.length) out.message += `; could not undo: ${plan.undoFailures.join('; ')}`;
  return out;
}
