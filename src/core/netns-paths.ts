// Where `ip netns` keeps a named namespace's files, shared by the model (which
// writes them), the lab and the daemon's client (which start processes that
// read them): one small module, so that the client loads nothing of dns/.
import { join } from 'node:path';
import { netnsName } from './validate.js';

/** The directory `ip netns exec NAME` takes hosts and resolv.conf from. */
export function netnsEtcDir(name: string, etc = '/etc'): string {
  return join(etc, 'netns', netnsName(name));
}
