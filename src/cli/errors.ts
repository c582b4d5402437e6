// Turns any error into what the CLI prints and the exit code it returns:
// what was wrong (the error's own message) and what to do about it.
import { CommanderError } from 'commander';
import {
  AddressInUseError,
  ConflictError,
  DaemonConnectionError,
  DaemonRunningError,
  RequestError,
  KernelError,
  LockTimeoutError,
  NoSuchObjectError,
  PermissionError,
  PoolExhaustedError,
  StateError,
  ValidationError,
} from '../core/errors.js';
import { EXIT } from './exit-codes.js';

/** A usage error the CLI itself finds (a missing `--`, two exclusive flags). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Something the user named that does not exist, found by the CLI itself (a --pid with no process). */
export class NotFoundFailure extends UsageError {}

export interface Failure {
  code: number;
  message: string;
  hint?: string;
}

const PRIVILEGES_HINT =
  'netplumb needs CAP_NET_ADMIN over the namespaces it changes and write access to its state (/run/netplumb): run it as root, or inside `netplumb sandbox -- …` to try it without touching this machine';

function kernelHint(e: KernelError): string {
  if (e instanceof PermissionError) return PRIVILEGES_HINT;
  return 'the request was refused as shown; check the objects named above with `ip`/`nft`, or run `netplumb ps` / `netplumb network ls`';
}

const NOT_FOUND_HINT: Record<NoSuchObjectError['kind'], string> = {
  network: 'list networks with `netplumb network ls`',
  sandbox: 'list sandboxes with `netplumb ps`',
  endpoint: 'see each sandbox\'s networks with `netplumb ps`',
};

export function classify(e: unknown): Failure {
  if (e instanceof NotFoundFailure) return { code: EXIT.notFound, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  if (e instanceof UsageError) return { code: EXIT.usage, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  if (e instanceof CommanderError) return { code: EXIT.usage, message: e.message.replace(/^error: /, '') };
  if (e instanceof ValidationError) return { code: EXIT.usage, message: e.message, hint: 'nothing was changed; correct the value and try again' };
  if (e instanceof NoSuchObjectError) return { code: EXIT.notFound, message: e.message, hint: NOT_FOUND_HINT[e.kind] };
  if (e instanceof ConflictError || e instanceof AddressInUseError || e instanceof PoolExhaustedError)
    return { code: EXIT.conflict, message: e.message };
  if (e instanceof DaemonRunningError)
    return { code: EXIT.conflict, message: e.message, hint: 'this command goes through the daemon when it answers: check it with `netplumb -H unix://SOCKET network ls`' };
  if (e instanceof DaemonConnectionError)
    return { code: EXIT.failure, message: e.message, hint: 'is netplumbd running? start it (netplumbd, or `netplumb daemon`), or drop --host / NETPLUMB_HOST to work without it' };
  if (e instanceof RequestError) return { code: e.status === 400 ? EXIT.usage : EXIT.failure, message: e.message };
  // A state directory this user may not write (not root, not in the sandbox): a privileges problem, not damage.
  if (e instanceof StateError && /\b(EACCES|EPERM|EROFS)\b/.test(e.message)) return { code: EXIT.kernel, message: `missing privileges: ${e.message}`, hint: PRIVILEGES_HINT };
  if (e instanceof StateError)
    return { code: EXIT.state, message: e.message, hint: '`netplumb reconcile` rebuilds what it can from the other state files and the kernel, and moves the rest to a quarantine directory it names' };
  if (e instanceof LockTimeoutError)
    return { code: EXIT.conflict, message: e.message, hint: 'another netplumb process is changing this state directory; wait for it, or use another --state-dir' };
  if (e instanceof KernelError) {
    const detail = [e.op && `request ${e.op}`, e.object && `on ${e.object}`, e.extack && `kernel says: ${e.extack}`].filter(Boolean).join(', ');
    return { code: EXIT.kernel, message: `the kernel refused: ${e.message}${detail ? ` (${detail})` : ''}`, hint: kernelHint(e) };
  }
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  if (e instanceof Error && (errno === 'EACCES' || errno === 'EPERM'))
    return { code: EXIT.kernel, message: `missing privileges: ${e.message}`, hint: PRIVILEGES_HINT };
  if (e instanceof Error) return { code: EXIT.failure, message: e.message };
  return { code: EXIT.failure, message: String(e) };
}

/** Prints the failure on stderr as "netplumb: what\n  hint". */
export function report(f: Failure, prefix = 'netplumb'): void {
  process.stderr.write(`${prefix}: ${f.message}\n${f.hint ? `  ${f.hint}\n` : ''}`);
}
