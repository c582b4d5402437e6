// STATUS (1.1.0): ready (exit 0) when an ADD could be served; code 50 when
// the network's address pool is used up. A network not made yet is ready: the
// first ADD makes it.
import { CniError } from '../core/errors.js';
import type { Engine } from '../model/index.js';
import { networkSpec, type Json } from './config.js';
import { checked, networkNamed } from './network.js';
import { CODE } from './spec.js';

export async function status(engine: Engine, raw: Json): Promise<void> {
  const spec = networkSpec(raw);
  const found = await networkNamed(engine, spec.name);
  if (!found) return;
  const n = checked(found, spec);
  if (!(await engine.networks.nextAddresses(n.id)))
    throw new CniError(
      CODE.notAvailable,
      'no free address',
      `every address of network '${n.name}' (${[n.ipv4.subnet, n.ipv6?.subnet].filter(Boolean).join(', ')}) is taken: ADD cannot be served until an attachment is deleted`,
    );
}
