// Keeping table inet netplumb in place while an engine runs, when it is not
// owned (see firewall-setup.ts): a firewall reload (`nft flush ruleset`,
// firewalld, a script) that deletes our table, a chain or rules is seen in
// the nf_tables events, and the firewall is rebuilt from the records in one
// transaction. Element changes are left alone: other netplumb processes make
// them all the time, and reconcile() covers the rest.
import { native } from '../../addon/native.js';
import type { EventStream } from '../../kernel/events.js';
import { nftEvents, type NftEvent } from '../../nft/events.js';
import type { ModelContext } from '../context.js';
import { FIREWALL_TABLE } from './index.js';
import { repairFirewall } from '../reconcile/firewall.js';

/** What native/core/exec/worker_pool.h names its threads. */

function touchesStructure(e: NftEvent): boolean {
  if (e.type === 'table') return e.event === 'del' && e.table.family === 'inet' && e.table.name === FIREWALL_TABLE;
  if (e.type === 'chain') return e.event === 'del' && e.chain.family === 'inet' && e.chain.table === FIREWALL_TABLE;
  if (e.type === 'rule') return e.event === 'del' && e.rule.family === 'inet' && e.rule.table === FIREWALL_TABLE;
  return false;
}

/** Puts this state's part of the firewall back from the records, under the state lock (so never in the middle of another process's change). */
async function rebuildFirewall(ctx: ModelContext): Promise<void> {
  await ctx.state.locked(async () => {
    const [networks, sandboxes] = await Promise.all([ctx.state.networks(), ctx.state.sandboxes()]);
    await repairFirewall(ctx, networks, sandboxes);
  });
}

export class FirewallGuard {
  private closed = false;
  private repairs = 0;
  /** Resolves once the loop has ended (after close()). */
  private readonly done: Promise<void>;

  private constructor(
    private readonly ctx: ModelContext,
    private readonly events: EventStream<NftEvent>,
    private readonly onError: (e: unknown) => void,
  ) {
    this.done = this.loop();
  }

  static async start(ctx: ModelContext, onError: (e: unknown) => void = () => undefined): Promise<FirewallGuard> {
    return new FirewallGuard(ctx, await nftEvents(ctx.host), onError);
  }

  /** How many times it rebuilt the firewall. */
  get repaired(): number {
    return this.repairs;
  }

  private async loop(): Promise<void> {
    // Events arrive per transaction and end with the generation, which names the thread that made it.
    let suspicious = false;
    for await (const e of this.events) {
      if (this.closed) break;
      if (e.type === 'overrun') {
        suspicious = true;
        continue;
      }
      if (e.type !== 'gen') {
        suspicious ||= touchesStructure(e);
        continue;
      }
      // The kernel names the thread that committed: netplumb's own workers (of
      // any process on this state) are not a reload to repair.
      const foreign = e.process !== native.workerThreadName;
      if (suspicious && foreign) {
        try {
          await rebuildFirewall(this.ctx);
          this.repairs++;
          this.ctx.events.emit({ type: 'firewall', action: 'repair' });
        } catch (err) {
          this.onError(err);
        }
      }
      suspicious = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.events.close();
    await this.done;
  }
}
