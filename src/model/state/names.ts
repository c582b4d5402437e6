// Identifiers and the kernel names derived from them. Every kernel object the
// model creates carries a name with a netplumb prefix and the id of its owner,
// so that after a crash reconcile can find what belongs to no record.
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../core/errors.js';
import { describeValue } from '../../core/validate.js';

/** A 64-hex-digit id, like Docker's. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** Docker's rule for network and container names. */
const OBJECT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function objectName(name: unknown, field: string): string {
  if (typeof name !== 'string' || name.length > 200 || !OBJECT_NAME.test(name))
    throw new ValidationError(
      field,
      `${field} ${describeValue(name)} is invalid: use letters, digits, '_', '.' and '-', starting with a letter or digit (at most 200 characters)`,
    );
  return name;
}

/** Docker-style random names are out of scope; an unnamed sandbox is called by its short id. */
export function sandboxDefaultName(id: string): string {
  return `np_${shortId(id)}`;
}

export const BRIDGE_PREFIX = 'np-';
export const DEFAULT_BRIDGE_NAME = 'np0';
export const HOST_VETH_PREFIX = 'npv';
export const NETNS_PREFIX = 'np-';

/** The bridge of a user network: np-<12 hex>, like Docker's br-<12 hex>. */
export function bridgeName(networkId: string): string {
  return `${BRIDGE_PREFIX}${shortId(networkId)}`;
}

/** The host end of an endpoint's veth pair: npv<12 hex> (15 bytes, the kernel's limit). */
export function hostVethName(endpointId: string): string {
  return `${HOST_VETH_PREFIX}${shortId(endpointId)}`;
}

/** The named namespace of a sandbox under the netns directory (so `ip netns exec` finds it). */
export function sandboxNetnsName(sandboxId: string): string {
  return `${NETNS_PREFIX}${shortId(sandboxId)}`;
}

/** The alias every bridge the model creates carries: how reconcile tells ours from the user's. */
export function bridgeAlias(networkId: string): string {
  return `netplumb network ${networkId}`;
}

export function isOurBridgeAlias(alias: string | null | undefined): string | undefined {
  const m = /^netplumb network ([0-9a-f]{64})$/.exec(alias ?? '');
  return m?.[1];
}
