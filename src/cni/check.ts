// CHECK: the attachment is still as ADD left it. Compares netplumb's record
// with the kernel (host end, interface, addresses, routes, port elements),
// the network with the config, and prevResult with the record; a failure says
// everything that is missing. Changes nothing.
import { CniError } from '../core/errors.js';
import type { Engine } from '../model/index.js';
import { attachmentName } from './attachment.js';
import { networkSpec, type Json } from './config.js';
import { attachmentEnv, type CniEnv } from './env.js';
import { differences, networkNamed } from './network.js';
import { prevResultOf } from './result.js';
import { CODE } from './spec.js';

export async function check(engine: Engine, env: CniEnv, raw: Json): Promise<void> {
  const a = attachmentEnv(env);
  const spec = networkSpec(raw);
  const prev = prevResultOf(raw);
  if (!prev) throw new CniError(CODE.invalidConfig, 'invalid network config', 'CHECK needs prevResult: the result of the ADD');
  const name = attachmentName(spec.name, a.containerId, a.ifname);
  const s = await engine.sandboxes.find(name);
  if (!s)
    throw new CniError(CODE.checkFailed, `${a.ifname} is not attached`, `netplumb has no attachment of container ${a.containerId} as ${a.ifname} on network '${spec.name}'`);
  const problems: string[] = [];
  if (s.netns.path !== a.netns) problems.push(`the attachment was added in ${s.netns.path}, not in ${a.netns}`);
  const n = await networkNamed(engine, spec.name);
  if (!n) problems.push(`network '${spec.name}' no longer exists`);
  else problems.push(...differences(n, spec).map((d) => `network '${spec.name}' now has ${d}`));
  problems.push(...(await engine.sandboxes.verify(s.id)));
  for (const e of s.endpoints) {
    if (!prev.interfaces?.some((i) => i.name === e.ifname && i.sandbox === a.netns)) problems.push(`prevResult does not list interface ${e.ifname} in ${a.netns}`);
    for (const ip of [e.ipv4, ...(e.ipv6 ? [e.ipv6] : [])])
      if (!prev.ips?.some((x) => x.address.split('/')[0] === ip)) problems.push(`prevResult does not list address ${ip}`);
  }
  if (problems.length > 0)
    throw new CniError(CODE.checkFailed, problems.length === 1 ? problems[0]! : `${problems[0]} (and ${problems.length - 1} more)`, problems.join('; '));
}
