// The netplumb network behind a CNI network config: made at the first ADD
// with the config's settings (and the label netplumb.cni), found by name at
// every later one. A network of that name that differs from the config (made
// by hand, or from an older config) is refused with what differs: the spec
// says a config does not change between ADD and DEL, so a silent mismatch
// would hide a mistake.
import { CniError, ConflictError } from '../core/errors.js';
import { macFromIPv4 } from '../addressing/mac.js';
import type { Engine, NetworkCreateOptions, NetworkRecord } from '../model/index.js';
import type { NetworkSpec } from './config.js';
import { CODE } from './spec.js';

export const CNI_LABEL = 'netplumb.cni';

function createOptions(spec: NetworkSpec): NetworkCreateOptions {
  const o: NetworkCreateOptions = { name: spec.name, subnet: spec.ipv4.subnet, masquerade: spec.masquerade, labels: { [CNI_LABEL]: 'true' } };
  if (spec.ipv4.gateway !== undefined) o.gateway = spec.ipv4.gateway;
  if (spec.ipv6) o.ipv6 = { subnet: spec.ipv6.subnet, ...(spec.ipv6.gateway !== undefined ? { gateway: spec.ipv6.gateway } : {}) };
  if (spec.bridge !== undefined) o.bridge = spec.bridge;
  if (spec.mtu !== undefined) o.mtu = spec.mtu;
  return o;
}

/** How an existing network differs from the config, in words. */
export function differences(n: NetworkRecord, spec: NetworkSpec): string[] {
  const out: string[] = [];
  const family = (label: string, have: NetworkRecord['ipv4'] | undefined, want: NetworkSpec['ipv4'] | undefined): void => {
    if (!want && !have) return;
    if (!want || !have) out.push(`${label} subnet ${have?.subnet ?? 'none'} (the config says ${want?.subnet ?? 'none'})`);
    else if (have.subnet !== want.subnet) out.push(`${label} subnet ${have.subnet} (the config says ${want.subnet})`);
    else if (want.gateway !== undefined && have.gateway !== want.gateway) out.push(`${label} gateway ${have.gateway} (the config says ${want.gateway})`);
  };
  family('IPv4', n.ipv4, spec.ipv4);
  family('IPv6', n.ipv6, spec.ipv6);
  if (spec.bridge !== undefined && n.bridge !== spec.bridge) out.push(`bridge ${n.bridge} (the config says ${spec.bridge})`);
  if (spec.mtu !== undefined && n.mtu !== spec.mtu) out.push(`mtu ${n.mtu ?? 'default'} (the config says ${spec.mtu})`);
  if (n.masquerade !== spec.masquerade) out.push(`ipMasq ${n.masquerade} (the config says ${spec.masquerade})`);
  if (n.internal) out.push('internal: true (a CNI network reaches outside)');
  return out;
}

/** `n`, or code 7 saying how it differs from the config. */
export function checked(n: NetworkRecord, spec: NetworkSpec): NetworkRecord {
  const diff = differences(n, spec);
  if (diff.length > 0)
    throw new CniError(
      CODE.invalidConfig,
      'invalid network config',
      `netplumb network '${n.name}' exists with ${diff.join(', ')}; remove it (netplumb network rm ${n.name}) or make the config match`,
    );
  return n;
}

/** The network named exactly `name` (find() also matches id prefixes, which a CNI name can look like). */
export async function networkNamed(engine: Engine, name: string): Promise<NetworkRecord | undefined> {
  const n = await engine.networks.find(name).catch((e: unknown) => {
    if (e instanceof ConflictError) return undefined;
    throw e;
  });
  return n?.name === name ? n : undefined;
}

/** The network for `spec`, made if it does not exist yet (two first ADDs at once agree on one). */
export async function ensureNetwork(engine: Engine, spec: NetworkSpec): Promise<NetworkRecord> {
  const found = await networkNamed(engine, spec.name);
  if (found) return checked(found, spec);
  try {
    await engine.networks.create(createOptions(spec));
  } catch (e) {
    // Another ADD made it between our look and our create.
    if (!(e instanceof ConflictError && e.reason === 'name-in-use')) throw e;
  }
  const made = await networkNamed(engine, spec.name);
  if (!made) throw new CniError(CODE.internal, 'network vanished', `network '${spec.name}' was removed while this ADD made it`);
  return checked(made, spec);
}

/** The bridge's MAC, fixed by the model from the gateway (see network-calls.ts). */
export function bridgeMac(n: NetworkRecord): string {
  return macFromIPv4(n.ipv4.gateway);
}
