import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { daemonOptions } from '../../../src/daemon/options.js';
import type { DaemonFlags } from '../../../src/daemon/flags.js';

const flags = (more: Partial<DaemonFlags> = {}): DaemonFlags => ({ logLevel: 'info', group: 'netplumb', shutdownTimeout: '15', ...more });

describe('netplumbd --pool', () => {
  it('takes a size for the default network or NETWORK=SIZE, one per network', () => {
    expect(daemonOptions(flags({ pool: ['4', 'web=16'] }), [], undefined).pool).toEqual([
      { network: 'bridge', size: 4 },
      { network: 'web', size: 16 },
    ]);
    expect(daemonOptions(flags(), [], undefined).pool).toBeUndefined();
  });

  it('refuses what is not a size, a size over 1024, and one network twice', () => {
    for (const bad of ['x', '-1', 'web=', '=3', 'web=1025', 'web=2.5'])
      expect(() => daemonOptions(flags({ pool: [bad] }), [], undefined), bad).toThrow(ValidationError);
    expect(() => daemonOptions(flags({ pool: ['web=1', 'web=2'] }), [], undefined)).toThrow(/twice/);
  });
});
