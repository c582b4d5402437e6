// Every failure as a CNI error code: the library's typed errors map to the
// spec's codes where one fits and to netplumb's own (100+) otherwise, with a
// short `msg` and `details` that say what was wrong and what to do.
import {
  AddressInUseError, AlreadyExistsError, CniError, ConflictError, KernelError, LockTimeoutError, NoSuchObjectError,
  PoolExhaustedError, ValidationError,
} from '../core/errors.js';
import { CODE } from './spec.js';

/** What the request was about, for messages. */
export interface FailureContext {
  ifname?: string;
  netns?: string;
  network?: string;
}

function alreadyExists(e: AlreadyExistsError, c: FailureContext): CniError {
  if (e.op === 'RTM_NEWLINK')
    return new CniError(CODE.conflict, `interface ${c.ifname} already exists`, `${c.netns ?? 'the namespace'} already has an interface named ${c.ifname} (or the host already has ${e.object}); nothing was changed`);
  if (e.op === 'RTM_NEWROUTE')
    return new CniError(CODE.conflict, 'route already exists', `the container already has the route ${e.object} (another attachment's default route?): give network '${c.network}' "isDefaultGateway": false or a "routes" list; nothing was changed`);
  if (e.op.startsWith('NFT_MSG_NEWSETELEM'))
    return new CniError(CODE.conflict, 'host port already published', `a host port of this attachment is already published by someone else (${e.message}); nothing was changed`);
  return new CniError(CODE.conflict, 'already exists', `${e.op} ${e.object}: ${e.message}`);
}

export function cniFailure(e: unknown, c: FailureContext = {}): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof ValidationError) return new CniError(CODE.invalidConfig, 'invalid network config', e.message);
  // A taken host port reads the same whether it was seen before the kernel or refused by it.
  if (e instanceof ConflictError && e.reason === 'port-in-use') return new CniError(CODE.conflict, 'host port already published', `${e.message}; nothing was changed`);
  if (e instanceof ConflictError || e instanceof AddressInUseError) return new CniError(CODE.conflict, 'already in use', e.message);
  if (e instanceof PoolExhaustedError) return new CniError(CODE.noFreeAddress, 'no free address', e.message);
  if (e instanceof LockTimeoutError) return new CniError(CODE.tryAgainLater, 'netplumb state is busy', e.message);
  if (e instanceof NoSuchObjectError) return new CniError(CODE.invalidConfig, 'no such object', e.message);
  if (e instanceof AlreadyExistsError) return alreadyExists(e, c);
  if (e instanceof KernelError)
    return new CniError(CODE.kernelRefused, 'the kernel refused a request', `${e.op} ${e.object}: ${e.code}: ${e.message}${e.extack ? ` (${e.extack})` : ''}`);
  const err = e instanceof Error ? e : new Error(String(e));
  return new CniError(CODE.internal, 'internal error', `${err.name}: ${err.message}`);
}
