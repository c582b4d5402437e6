// Every error class netplumb throws, in one module that the package exports
// whole. A refusal by the kernel is a KernelError carrying errno, its code, the
// request, the object it was about and the kernel's extended-ACK text; its
// subclass says what kind of refusal it was (AlreadyExistsError, ...), and
// whether it came over netlink (NetlinkError) or from another system call
// (SystemCallError). Bad input is a ValidationError raised before anything is
// sent; the rest are the model's and the state store's own failures.

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

/** Whether a refused request was a netlink message or another system call (mount, setns, open, bind, ...). */
export type KernelRequestKind = 'netlink' | 'syscall';

/** The kernel refused a request. Subclasses name the kind of refusal. */
export class KernelError extends NetplumbError {
  readonly errno: number;
  readonly code: string;
  /** The request: RTM_NEWLINK, NFT_MSG_NEWRULE, mount, setns, ... */
  readonly op: string;
  /** What it was about: "veth0", "table inet netplumb", "/run/netns/x". */
  readonly object: string;
  /** The kernel's extended-ACK message, when it gave one. */
  readonly extack?: string;
  readonly extackOffset?: number;
  readonly request: KernelRequestKind;
  constructor(message: string, f: KernelErrorFields, request: KernelRequestKind = 'netlink') {
    super(message, f);
    this.errno = f.errno;
    this.code = f.code;
    this.op = f.op;
    this.object = f.object;
    this.request = request;
    if (f.extack !== undefined) this.extack = f.extack;
    if (f.extackOffset !== undefined) this.extackOffset = f.extackOffset;
  }
}

/**
 * The kernel refused a netlink request. `instanceof NetlinkError` holds for
 * every KernelError whose request was a netlink message, whatever its
 * refusal class (AlreadyExistsError, NotFoundError, ...).
 */
export class NetlinkError extends KernelError {
  static override [Symbol.hasInstance](x: unknown): boolean {
    return x instanceof KernelError && x.request === 'netlink';
  }
}

/** A system call outside netlink failed (mount, setns, open, bind, ...): every KernelError whose request was one. */
export class SystemCallError extends KernelError {
  constructor(message: string, f: KernelErrorFields) {
    super(message, f, 'syscall');
  }
  static override [Symbol.hasInstance](x: unknown): boolean {
    return x instanceof KernelError && x.request === 'syscall';
  }
}

/** EEXIST: the object is already there. */
export class AlreadyExistsError extends KernelError {}
/** ENOENT / ENODEV / ESRCH / EADDRNOTAVAIL / ESTALE (a namespace path now names another namespace): the object is not there. */
export class NotFoundError extends KernelError {}
/** EPERM / EACCES: not allowed (no CAP_NET_ADMIN in the namespace, or an owned nf_tables table). */
export class PermissionError extends KernelError {}
/** EBUSY / EADDRINUSE: in use. */
export class BusyError extends KernelError {}
/** The dump changed while it was read (NLM_F_DUMP_INTR); read it again. */
export class DumpInterruptedError extends KernelError {}
/** ERESTART: an nf_tables transaction was prepared against an older ruleset generation. */
export class StaleGenerationError extends KernelError {}

const byCode: Record<string, new (m: string, f: KernelErrorFields, r: KernelRequestKind) => KernelError> = {
  EEXIST: AlreadyExistsError,
  ENOENT: NotFoundError,
  ENODEV: NotFoundError,
  ESRCH: NotFoundError,
  EADDRNOTAVAIL: NotFoundError,
  ESTALE: NotFoundError,
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
    const request: KernelRequestKind = raw.kind === 'SystemError' ? 'syscall' : 'netlink';
    const Cls = raw.kind === 'DumpInterrupted' ? DumpInterruptedError : (byCode[fields.code] ?? KernelError);
    out = new Cls(raw.message, fields, request);
  } else {
    out = new NetplumbError(raw.message, plan);
  }
  if (plan.undoFailures?.length) out.message += `; could not undo: ${plan.undoFailures.join('; ')}`;
  return out;
}

// The model's own failures: something named does not exist, or the request
// conflicts with what exists.

/** No network or sandbox has that name or id. */
export class NoSuchObjectError extends NetplumbError {
  constructor(
    readonly kind: 'network' | 'sandbox' | 'endpoint',
    readonly ref: string,
    hint = '',
  ) {
    super(`${kind} '${ref}' not found${hint ? `: ${hint}` : ''}`);
  }
}

/**
 * The request conflicts with what exists: a name taken, a port published (by
 * this state, another netplumb state root, or a process listening on the
 * host), an address that is not the host's, a network still in use.
 */
export class ConflictError extends NetplumbError {
  constructor(
    readonly reason: 'name-in-use' | 'port-in-use' | 'address-not-local' | 'in-use' | 'already-connected' | 'mode' | 'subnet-in-use' | 'vni-in-use',
    message: string,
    /** The other owner, when the conflict is with another netplumb state root: its state directory. */
    readonly owner?: string,
  ) {
    super(message);
  }
}

// The state store's and the allocators' failures: a resource taken or used up,
// or a lock that could not be had.

/**
 * A state file that cannot be used: unreadable, empty, truncated, not JSON,
 * or JSON of the wrong shape. Nothing was changed; `engine.reconcile()`
 * (`netplumb reconcile`) rebuilds what it can and moves the rest to a
 * quarantine directory.
 */
export class StateError extends NetplumbError {
  constructor(
    /** The file. */
    readonly file: string,
    /** What is wrong with it. */
    readonly problem: string,
  ) {
    super(`state file ${file} is damaged: ${problem}`);
  }
}

/** The state lock was still held by another live process when the deadline passed. */
export class LockTimeoutError extends NetplumbError {
  constructor(
    readonly lockPath: string,
    readonly timeoutMs: number,
    /** PID written in the lock file when we gave up, if it could be read. */
    readonly holderPid?: number,
  ) {
    super(
      `could not take the lock ${lockPath} within ${timeoutMs} ms` +
        (holderPid !== undefined ? `; it is held by process ${holderPid}` : ''),
    );
  }
}

/** A requested address (or port) is already given to someone else. */
export class AddressInUseError extends NetplumbError {
  constructor(
    readonly address: string,
    message: string,
  ) {
    super(message);
  }
}

/** No free address (or subnet, or port) is left where one was asked for. */
export class PoolExhaustedError extends NetplumbError {
  constructor(
    readonly pool: string,
    message: string,
  ) {
    super(message);
  }
}

/** A DNS message that cannot be read; `id` is set when the header was readable, so a FORMERR can be sent. */
export class DnsFormatError extends NetplumbError {
  constructor(
    message: string,
    readonly id?: number,
  ) {
    super(message);
  }
}

// The daemon's and its clients' failures: a state root that a running daemon
// owns, a daemon that cannot be reached, a request the daemon refused.

/** A netplumbd process owns this state root: go through it (Engine.connect) instead of opening the state here. */
export class DaemonRunningError extends NetplumbError {
  constructor(
    readonly pid: number,
    /** Where the daemon listens (unix socket path or tcp:// URL), when it said. */
    readonly socket: string | undefined,
    readonly runtimeDir: string,
  ) {
    super(
      `netplumbd (pid ${pid}) owns the state in ${runtimeDir}; ` +
        (socket !== undefined ? `use Engine.connect({ socket: '${socket}' }) instead of Engine.open` : 'use Engine.connect() to its socket instead of Engine.open'),
    );
  }
}

/** The daemon could not be reached, or the connection broke before it answered. */
export class DaemonConnectionError extends NetplumbError {
  constructor(
    readonly socket: string,
    /** The system's code: ENOENT (no socket), ECONNREFUSED (nobody listens), ECONNRESET (it went away), ETIMEDOUT. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The daemon refused an HTTP request as such (malformed JSON, a field of the wrong type, an unknown field, a body too large). */
export class RequestError extends NetplumbError {
  constructor(
    /** The HTTP status: 400, 404, 405, 413, 415 … */
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// Running processes and labs: what the machine lacks for them.

/** A program netplumb starts for a process launch or a lab (nsenter, unshare, setpriv, umount) is not installed or not on PATH. */
export class MissingToolError extends NetplumbError {
  constructor(
    readonly tool: string,
    /** The package that ships it (Debian's name). */
    readonly packageName: string,
    purpose: string,
  ) {
    super(`${tool} is needed ${purpose} but was not found on PATH; install ${packageName}`);
  }
}

/** This process may not make network namespaces: no CAP_NET_ADMIN and CAP_SYS_ADMIN where it runs. */
export class SandboxRequiredError extends NetplumbError {
  constructor(message: string) {
    super(message);
  }
}

/** The kernel lacks a feature that was asked for (netem for delay and loss); `feature` names it. */
export class FeatureUnavailableError extends NetplumbError {
  constructor(
    readonly feature: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A CNI request that the plugin answers with an error result: `cniCode` is the
 * spec's code (1 incompatible version, 4 bad environment, 6 undecodable, 7
 * invalid config, 2 unsupported field, 11 try again, 50 not available) or
 * netplumb's own (100 and up, listed in README's `netplumb cni` section).
 */
export class CniError extends NetplumbError {
  constructor(
    readonly cniCode: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

/**
 * The cluster store (etcd, or a directory of records) could not be reached or
 * refused a request. `store` is its address as configured (etcd://HOST:PORT,…
 * or dir:///path); local networks keep working while the engine retries.
 */
export class ClusterStoreError extends NetplumbError {
  constructor(
    readonly store: string,
    message: string,
  ) {
    super(message);
  }
}
