// ADD: the attachment as one sandbox adopting the runtime's namespace, on the
// network the config describes (made at the first ADD). Everything is checked
// before the kernel is touched, and the model makes the kernel side one plan
// that is undone on failure, so a failed ADD leaves nothing behind.
import { existsSync } from 'node:fs';
import { CniError, ConflictError } from '../core/errors.js';
import type { Engine, SandboxCreateOptions } from '../model/index.js';
import { attachmentName, attachmentSpec } from './attachment.js';
import { networkSpec, type Json } from './config.js';
import { attachmentEnv, type CniEnv } from './env.js';
import { ensureNetwork } from './network.js';
import { attachmentResult, chained, prevResultOf } from './result.js';
import { CODE, type CniResult, type CniVersion } from './spec.js';

export async function add(engine: Engine, env: CniEnv, raw: Json, version: CniVersion): Promise<CniResult> {
  const a = attachmentEnv(env);
  const netns = a.netns as string;
  const spec = networkSpec(raw);
  const want = attachmentSpec(raw, spec, a.args);
  const prev = prevResultOf(raw);
  if (!existsSync(netns)) throw new CniError(CODE.invalidEnvironment, 'invalid CNI_NETNS', `CNI_NETNS ${netns} does not exist`);
  const n = await ensureNetwork(engine, spec);
  const name = attachmentName(spec.name, a.containerId, a.ifname);
  const o: SandboxCreateOptions = {
    name,
    network: n.id,
    netns: { path: netns },
    ifname: a.ifname,
    publish: want.ports,
    routes: spec.routes.map((r) => ({ destination: r.dst, ...(r.gw !== undefined ? { gateway: r.gw } : {}) })),
    defaultRoute: spec.defaultRoute,
  };
  if (want.ipv4 !== undefined) o.ip = want.ipv4;
  if (want.ipv6 !== undefined) o.ip6 = want.ipv6;
  if (want.mac !== undefined) o.mac = want.mac;
  try {
    const info = await engine.sandboxes.create(o);
    return chained(prev, attachmentResult(version, info, n, spec, want, netns));
  } catch (e) {
    if (e instanceof ConflictError && e.reason === 'name-in-use' && (await engine.sandboxes.find(name)))
      throw new CniError(
        CODE.conflict,
        `${a.ifname} is already attached`,
        `container ${a.containerId} already has ${a.ifname} on network '${spec.name}'; DEL it before adding it again (nothing was changed)`,
      );
    throw e;
  }
}
