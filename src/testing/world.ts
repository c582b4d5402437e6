// What the parts of a lab (its host, its outside, its sandboxes) need from
// the lab itself, so that they never import it.
import type { ChildProcess } from 'node:child_process';
import type { Engine } from '../model/index.js';
import type { Netns } from '../netns.js';

export interface LabWorld {
  /** The engine of the lab's world (replaced when the DNS responders are stopped or started). */
  readonly engine: Engine;
  /** The namespace that plays the host: bridges, firewall, published ports. */
  readonly hostNetns: Netns;
  /** Refuses use after close(), saying so. */
  assertOpen(): void;
  /** Kills the process at close() if it is still running; returns it. */
  track<T extends ChildProcess>(child: T): T;
  /** Runs at close(), before the kernel side is taken down (connections, handles). */
  onClose(release: () => void | Promise<void>): void;
}
