// An error crosses the daemon's socket and comes out as the same class with
// the same fields and message, so Engine.connect callers catch what
// Engine.open callers catch.
import { describe, expect, it } from 'vitest';
import * as np from '../../../src/index.js';
import { errorFromWire, errorToWire } from '../../../src/core/error-wire.js';

const kernel = { errno: 17, code: 'EEXIST', op: 'RTM_NEWLINK', object: 'br0', extack: 'exists' };

const cases: [string, Error][] = [
  ['ValidationError', new np.ValidationError('subnet', 'invalid subnet foo')],
  ['NoSuchObjectError', new np.NoSuchObjectError('sandbox', 'web', 'gone')],
  ['ConflictError', new np.ConflictError('port-in-use', 'host port 8080 is taken')],
  ['AddressInUseError', new np.AddressInUseError('10.0.0.5', '10.0.0.5 is taken')],
  ['PoolExhaustedError', new np.PoolExhaustedError('10.0.0.0/30', 'no address left')],
  ['LockTimeoutError', new np.LockTimeoutError('/run/x/.lock', 30000, 1234)],
  ['DaemonRunningError', new np.DaemonRunningError(42, 'unix:///run/np.sock', '/run/np')],
  ['RequestError', new np.RequestError(413, 'too large')],
  ['AlreadyExistsError', new np.AlreadyExistsError('RTM_NEWLINK br0: File exists (EEXIST)', kernel)],
  ['SystemCallError', new np.SystemCallError('mount failed', { ...kernel, code: 'ENOENT', op: 'mount' })],
  ['NotFoundError', new np.NotFoundError('no such file', { ...kernel, code: 'ENOENT', op: 'open' }, 'syscall')],
];

describe('errors over the wire', () => {
  it.each(cases)('%s comes back as itself', (name, e) => {
    const wire = JSON.parse(JSON.stringify(errorToWire(e)));
    expect(wire.class).toBe(name);
    const back = errorFromWire(400, e.message, wire);
    expect(back.constructor.name).toBe(name);
    expect(back.message).toBe(e.message);
    expect({ ...back }).toEqual({ ...e });
    expect(back instanceof np.NetlinkError).toBe(e instanceof np.NetlinkError);
    expect(back instanceof np.SystemCallError).toBe(e instanceof np.SystemCallError);
  });

  it('keeps planIndex and undoFailures', () => {
    const e = new np.ValidationError('x', 'bad');
    e.planIndex = 3;
    e.undoFailures = ['link.delete veth0'];
    const back = errorFromWire(400, e.message, JSON.parse(JSON.stringify(errorToWire(e)))) as np.ValidationError;
    expect([back.planIndex, back.undoFailures]).toEqual([3, ['link.delete veth0']]);
  });

  it('turns an answer without a class (a plain Error, or no netplumb key) into a RequestError with the status', () => {
    expect(errorToWire(new Error('disk full'))).toEqual({ class: 'Error' });
    const plain = errorFromWire(500, 'disk full', { class: 'Error' });
    expect(plain).toBeInstanceOf(np.RequestError);
    expect(plain).toMatchObject({ status: 500, message: 'disk full' });
    expect(errorFromWire(404, 'page not found', undefined)).toMatchObject({ name: 'RequestError', status: 404 });
  });
});
