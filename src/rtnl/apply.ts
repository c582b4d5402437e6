// Bulk rtnetlink changes: routes, neighbours, FDB entries and nexthop objects
// added, replaced or deleted in one call of rtnl.apply — a few sendmsg calls
// for thousands of objects, all or nothing. Each change is built by the
// object's own call builder (so it is validated the same way) and named by
// what it does:
//
//   rtnlCalls.apply([
//     rtnlChange.add(nexthopCalls.add({ id: 7, gateway: '10.244.1.0', dev: 'vx', onlink: true })),
//     rtnlChange.add(routeCalls.add({ destination: '10.244.1.0/24', nhid: 7 })),
//     rtnlChange.remove(neighCalls.add({ family: 'bridge', dev: 'vx', lladdr, dst })),
//   ])
import type { Call } from '../addon/native.js';
import { ValidationError } from '../core/errors.js';
import { opCall, type NeighAddArgs, type NexthopArgs, type RouteArgs, type RtnlChange } from '../addon/ops.js';

type Action = RtnlChange['action'];

const OBJECT_OF: Record<string, RtnlChange['object']> = { 'route.add': 'route', 'neigh.add': 'neigh', 'nexthop.add': 'nexthop' };

function change(action: Action, call: Call, before?: Call, opts: { ifExists?: boolean } = {}): RtnlChange {
  const object = OBJECT_OF[call.op];
  if (!object)
    throw new ValidationError('call', `a bulk change is built from routeCalls.add, neighCalls.add or nexthopCalls.add, not ${call.op}`);
  if (before && before.op !== call.op) throw new ValidationError('before', `before must be a ${call.op} call like the change itself`);
  const { replace: _r, ...args } = (call.args ?? {}) as Record<string, unknown>;
  const c = { action, object, args: opts.ifExists ? { ...args, ifExists: true } : args } as RtnlChange;
  if (before) c.before = before.args as RouteArgs & NeighAddArgs & NexthopArgs;
  return c;
}

export const rtnlChange = {
  /** Creates the object; refused (AlreadyExistsError) when it exists. */
  add: (call: Call): RtnlChange => change('add', call),
  /** Creates or overwrites the object; `before`, when known, is what the undo puts back. */
  replace: (call: Call, before?: Call): RtnlChange => change('replace', call, before),
  /** Deletes the object the call describes (whole, so that it can be put back). */
  remove: (call: Call, opts: { ifExists?: boolean } = {}): RtnlChange => change('delete', call, undefined, opts),
};

export const rtnlCalls = {
  /**
   * Every change in one call: sent in order, in slices of a few hundred per
   * sendmsg; when the kernel refuses one, those it applied are taken back
   * and the refusal is thrown (its object says which change). Resolves to
   * the number applied.
   */
  apply(changes: RtnlChange[]): Call {
    if (!Array.isArray(changes)) throw new ValidationError('changes', 'changes must be an array of rtnlChange.add/replace/remove');
    return opCall('rtnl.apply', { changes });
  },
};
