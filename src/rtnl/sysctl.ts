// Per-namespace sysctls (net.*), read and written by the addon inside the
// namespace, without spawning sysctl(8).
import type { Call } from '../addon/native.js';
import type { Netns } from '../kernel/netns.js';
import { ValidationError } from '../core/errors.js';
import { opCall } from '../addon/ops.js';

export type SysctlValue = string | number | boolean;

export const sysctlCalls = {
  get(key: string): Call {
    return opCall('sysctl.get', { key: sysctlKey(key) });
  },
  /** Resolves to the value it replaced; a failing plan writes that back. */
  set(key: string, value: SysctlValue): Call {
    if (!['string', 'number', 'boolean'].includes(typeof value))
      throw new ValidationError('value', `sysctl ${key} needs a string, number or boolean value`);
    return opCall('sysctl.set', { key: sysctlKey(key), value });
  },
};

function sysctlKey(key: unknown): string {
  if (typeof key !== 'string' || !/^net[./]/.test(key) || /(^|[./])\.\.?([./]|$)/.test(key))
    throw new ValidationError('key', `sysctl key '${String(key)}' must be a net.* key such as net.ipv4.ip_forward`);
  return key;
}

export class Sysctl {
  constructor(private readonly ns: Netns) {}

  async get(key: string): Promise<string> {
    const [v] = await this.ns.exec([sysctlCalls.get(key)]);
    return v as string;
  }

  /** Sets `key`; resolves to the previous value. */
  async set(key: string, value: SysctlValue): Promise<string> {
    const [v] = await this.ns.exec([sysctlCalls.set(key, value)]);
    return v as string;
  }

  /** Sets several in one trip; all or none. */
  async setMany(values: Record<string, SysctlValue>): Promise<void> {
    await this.ns.exec(Object.entries(values).map(([k, v]) => sysctlCalls.set(k, v)));
  }
}
