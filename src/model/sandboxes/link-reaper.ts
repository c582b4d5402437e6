// Host ends of veth pairs whose sandbox was removed while its namespace
// lives on: a runtime's, after a background removal (a CNI DEL), or ours,
// while some process still holds it. Deleting a veth waits for the kernel's
// RCU grace periods (~20 ms here, most of a CNI DEL), so a removal takes the
// host end down at once (a down bridge port forwards nothing) and this
// deletes it a little later, off the caller's path. Taking a link down waits
// for a grace period too (~0.7 ms): a CNI DEL only disables the host end's
// bridge port, which forwards nothing either, and this takes the end down
// right after (the kernel would enable the port again if the pair's carrier
// came back). By the time of the delete the namespace has usually gone (a
// runtime deletes it right after a CNI DEL; ours was held only by sockets
// the kernel releases after a grace period) and took the pair with it: the
// late check then costs one lookup. A crash before the delete leaves a stray
// npv… link that reconcile() deletes.
import { netnsCalls, type Netns } from '../../netns.js';

interface Pending {
  /** The namespace the pair's other end is in, as the sandbox recorded it. */
  netnsPath: string;
  timer: NodeJS.Timeout;
}

export class LinkReaper {
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly host: Netns,
    /** How long a runtime gets to delete the namespace itself. */
    private readonly graceMs = 2000,
  ) {}

  /**
   * Deletes `links` (host ends already down, or with `down` their bridge
   * port disabled: those are taken down at once) after the grace period.
   */
  schedule(netnsPath: string, links: readonly string[], opts: { down?: boolean } = {}): void {
    if (opts.down) this.track(this.host.exec([netnsCalls.heldPeers(links, 'down')]));
    for (const name of links) {
      clearTimeout(this.pending.get(name)?.timer);
      // unref: a process that exits without close() leaves the links to reconcile.
      const timer = setTimeout(() => this.run([name]), this.graceMs).unref();
      this.pending.set(name, { netnsPath, timer });
    }
  }

  /** The links still waiting, by name. */
  get waiting(): string[] {
    return [...this.pending.keys()];
  }

  /**
   * Deletes now what waits for `netnsPath` (every link when omitted) and what
   * is being deleted: before a new interface goes into that namespace under a
   * name an old one may still hold, and when the engine closes.
   */
  async flush(netnsPath?: string): Promise<void> {
    const due = [...this.pending].filter(([, p]) => netnsPath === undefined || p.netnsPath === netnsPath).map(([n]) => n);
    if (due.length > 0) this.run(due);
    await Promise.all([...this.running]);
  }

  private run(names: string[]): void {
    for (const n of names) {
      clearTimeout(this.pending.get(n)?.timer);
      this.pending.delete(n);
    }
    // Only ends whose namespace is still held: a namespace on its way out takes
    // its pairs along.
    this.track(this.host.exec([netnsCalls.heldPeers(names, 'delete')]));
  }

  /** A job flush() waits for. Failures are left to reconcile(), which deletes stray host ends. */
  private track(work: Promise<unknown>): void {
    const job = work.then(() => undefined, () => undefined).finally(() => this.running.delete(job));
    this.running.add(job);
  }
}
