// An adopted namespace's veth pair, made as soon as the namespace is open and
// the network known: the kernel creates it on an addon thread while this
// thread takes the state lock, allocates the address and the ports and
// writes the pending record. Creating the pair is most of an attach's kernel
// time (the peer's move into another namespace), and the rest of the create
// needs it only at the end, as a create from the warm pool does: the same
// pair (host end up on the bridge, sandbox end down without address), the
// same activation after.
//
// The pair exists before any record names it. A crash then leaves a host end
// with this state's mark and an npv… name that no record owns: reconcile
// deletes it, and the runtime's deletion of its namespace takes the pair
// along anyway. It carries no address, route or port element until the
// record names it.
import type { NativeNetns } from '../../addon/native.js';
import { linkCalls } from '../../rtnl/link.js';
import type { ModelContext } from '../context.js';
import { hostVethName, newId } from '../state/names.js';
import type { NetworkRecord } from '../state/records.js';
import { vethCalls } from './endpoint-calls.js';

export class EarlyPair {
  readonly endpointId = newId();
  readonly hostIfname = hostVethName(this.endpointId);
  /** Settles when the kernel has made the pair; rejects (and nothing is left) when it refused it. */
  readonly made: Promise<void>;
  private exists = false;
  /** Set once a sandbox's record owns the pair: from then on, removing the sandbox removes it. */
  kept = false;

  constructor(
    private readonly ctx: ModelContext,
    sandbox: NativeNetns,
    network: NetworkRecord,
    ifname: string,
    mac: string | undefined,
  ) {
    const plan = ctx.host.plan();
    vethCalls(plan, sandbox, { hostIfname: this.hostIfname, ifname, ...(mac !== undefined ? { mac } : {}) }, network, ctx.state.owner, false);
    this.made = plan.run().then(() => {
      this.exists = true;
    });
    // Awaited by the create (or by discard()); this keeps a refusal meanwhile from counting as unhandled.
    this.made.catch(() => undefined);
  }

  /** Deletes the pair unless a record kept it (a create that failed, at any point): done when this resolves. */
  async discard(): Promise<void> {
    await this.made.catch(() => undefined);
    if (this.kept || !this.exists) return;
    // By its mark: a link of that name that is not ours is never touched.
    await this.ctx.host.exec([linkCalls.delete(this.hostIfname, { ifExists: true, deviceGroup: this.ctx.state.owner.id })]);
    this.exists = false;
  }
}
