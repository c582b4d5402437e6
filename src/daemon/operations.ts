// Every model operation the daemon carries out goes through run(): it is
// counted by outcome and timed, whichever API (Docker's or netplumb's) asked.
import type { DaemonMetrics } from './metrics.js';

export class Operations {
  constructor(private readonly metrics: DaemonMetrics) {}

  async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const end = this.metrics.operationSeconds.startTimer({ operation });
    try {
      const out = await fn();
      this.metrics.operations.inc({ operation, outcome: 'ok' });
      return out;
    } catch (e) {
      this.metrics.operations.inc({ operation, outcome: e instanceof Error ? e.constructor.name : 'Error' });
      throw e;
    } finally {
      end();
    }
  }
}
