// Engines on a throwaway state directory: no test reads another's records,
// and nothing is left in the state or etc directories of the machine or the
// sandbox (NETPLUMB_STATE_DIR) once the test file is done.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns } from '../../../../src/index.js';
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

/** A fresh host namespace named `name` (a stale one of a killed run is removed first) and an engine on `stateDir`/`etcDir` managing it. */
export async function freshHost(name: string, dirs: { stateDir: string; etcDir: string }): Promise<{ host: Netns; engine: Engine }> {
  await Netns.remove(name, { ifExists: true });
  const host = await Netns.create({ name });
  return { host, engine: await Engine.open({ host, ...dirs, dns: false }) };
}

/** Everything a CLI test made in `stateDir` (the default network included, which `network rm` refuses), removed through the library. */
export async function removeEverythingIn(stateDir: string): Promise<void> {
  const engine = await Engine.open({ stateDir, dns: false });
  try {
    await removeEverything(engine);
  } finally {
    await engine.close();
  }
}

/** Removes every sandbox and network of the engine (what a test left, failed or not); the namespaces under /run/netns are every test file's. */
export async function removeEverything(engine: Engine | undefined): Promise<void> {
  if (!engine) return;
  for (const sb of await engine.sandboxes.list()) await engine.sandboxes.remove(sb.id, { force: true });
  for (const n of await engine.networks.list()) await engine.networks.remove(n.Id, { force: true });
}
