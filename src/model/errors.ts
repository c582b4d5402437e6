// Errors of the networking model that are neither bad input (ValidationError)
// nor a kernel refusal (NetlinkError): something named does not exist, or the
// request conflicts with what exists.
import { NetplumbError } from '../errors.js';

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

/** The request conflicts with what exists: a name taken, a port published, a network still in use. */
export class ConflictError extends NetplumbError {
  constructor(
    readonly reason: 'name-in-use' | 'port-in-use' | 'in-use' | 'already-connected' | 'mode',
    message: string,
  ) {
    super(message);
  }
}
