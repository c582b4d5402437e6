// Errors of the networking layer that are not bad input (those stay
// ValidationError): a resource is taken or used up, or a lock could not be had.
import { NetplumbError } from '../errors.js';

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
