// What route handlers work with: the daemon's engine, its metered
// operations, its event log, metrics and log, and what it says about itself.
import type { DaemonDescription } from '../client/api.js';
import type { Engine } from '../model/index.js';
import type { ModelState } from '../model/state/state.js';
import type { EventLog } from './event-log.js';
import type { Logger } from './logger.js';
import type { DaemonMetrics } from './metrics.js';
import type { Operations } from './operations.js';

export interface DaemonServices {
  readonly engine: Engine;
  /** The engine's state, read directly where Docker's views need the records (the options as given). */
  readonly state: ModelState;
  /** Docker's `host` and `none` networks have no record: their ids and creation time. */
  readonly modeNetworks: Readonly<Record<'host' | 'none', { id: string; created: string }>>;
  readonly ops: Operations;
  readonly events: EventLog;
  readonly metrics: DaemonMetrics;
  readonly log: Logger;
  /** The package version (what /version and /info report). */
  readonly version: string;
  describe(): DaemonDescription;
}
