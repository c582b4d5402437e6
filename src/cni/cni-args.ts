// CNI_ARGS: "KEY=VALUE;KEY=VALUE" (SPEC.md, CONVENTIONS.md). netplumb uses IP
// (static addresses, comma-separated) and MAC; Kubernetes' K8S_POD_* keys are
// known and kept; any other key is refused unless IgnoreUnknown is 1 or true,
// as the reference plugins do.
import { CniError } from '../core/errors.js';
import { CODE } from './spec.js';

export interface CniArgs {
  ips?: string[];
  mac?: string;
  /** K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_INFRA_CONTAINER_ID, K8S_POD_UID. */
  pod: Record<string, string>;
}

const KUBERNETES = new Set(['K8S_POD_NAMESPACE', 'K8S_POD_NAME', 'K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_UID']);
const TRUE = new Set(['1', 'true']);

export function parseCniArgs(text: string): CniArgs {
  const out: CniArgs = { pod: {} };
  if (text === '') return out;
  const pairs: [string, string][] = [];
  for (const part of text.split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0)
      throw new CniError(CODE.invalidEnvironment, 'invalid CNI_ARGS', `CNI_ARGS entry '${part}' is not KEY=VALUE (entries are separated by ';')`);
    pairs.push([part.slice(0, eq), part.slice(eq + 1)]);
  }
  const ignoreUnknown = pairs.some(([k, v]) => k === 'IgnoreUnknown' && TRUE.has(v.toLowerCase()));
  for (const [key, value] of pairs) {
    if (key === 'IgnoreUnknown') continue;
    if (key === 'IP') out.ips = value.split(',').filter((s) => s !== '');
    else if (key === 'MAC') out.mac = value;
    else if (KUBERNETES.has(key)) out.pod[key] = value;
    else if (!ignoreUnknown)
      throw new CniError(
        CODE.invalidEnvironment,
        'invalid CNI_ARGS',
        `CNI_ARGS key '${key}' is not one netplumb knows (IP, MAC, K8S_POD_*); add IgnoreUnknown=1 to pass keys for other plugins`,
      );
  }
  return out;
}
