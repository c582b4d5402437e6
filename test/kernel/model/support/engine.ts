// Engines on a throwaway state directory: no test reads another's records,
// and nothing is left in the state or etc directories of the machine or the
// sandbox (NETPLUMB_STATE_DIR) once the test file is done.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from '../../../../src/index.js';
import { Engine, type EngineOptions } from '../../../../src/model/index.js';

export class TempState {
  /** The sandboxes' /etc/netns files (hosts, resolv.conf) go under here. */
  readonly etcDir: string;

  private constructor(readonly stateDir: string) {
    this.etcDir = join(stateDir, 'etc');
  }

  /** A new directory under the system's temp dir, named `<prefix>XXXXXX`. */
  static async create(prefix: string): Promise<TempState> {
    return new TempState(await fs.mkdtemp(join(tmpdir(), prefix)));
  }

  /** Engine.open on this state, managing `host`; every engine opened here shares the records. */
  open(host: Netns, options: Omit<EngineOptions, 'host' | 'stateDir' | 'etcDir'> = {}): Promise<Engine> {
    return Engine.open({ host, stateDir: this.stateDir, etcDir: this.etcDir, ...options });
  }

  async remove(): Promise<void> {
    await fs.rm(this.stateDir, { recursive: true, force: true });
  }
}
