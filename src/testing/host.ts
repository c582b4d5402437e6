// The lab's host: the namespace that holds the bridges, the firewall and the
// published ports (what the machine is to Docker), with its own hosts and
// resolv.conf (its nameserver is the outside's DNS when the lab has one).
import { ValidationError } from '../core/errors.js';
import type { LaunchTarget } from '../kernel/launch.js';
import type { Netns } from '../netns.js';
import { LabNode } from './node.js';
import type { LabWorld } from './world.js';

export class LabHost extends LabNode {
  constructor(
    world: LabWorld,
    private readonly target: LaunchTarget,
    private readonly uplinkAddress: () => string | undefined,
  ) {
    super(world, 'host');
  }

  get netns(): Netns {
    return this.world.hostNetns;
  }

  /** Its address on the uplink to the outside (only a lab with an outside has one). */
  get address(): string {
    const up = this.uplinkAddress();
    if (up !== undefined) return up;
    throw new ValidationError('address', "this lab's host has no uplink to an outside: open the lab with { outside: true }, or use a network's gateway (sandbox.inspect())");
  }

  protected launchTarget(): LaunchTarget {
    return this.target;
  }
}
