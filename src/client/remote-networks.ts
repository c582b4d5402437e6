// engine.networks of an engine behind netplumbd: each method is one request
// to netplumb's own API, answered with the model's own shapes.
import type { NetworkCreateOptions, NetworkInspect, NetworksApi } from '../model/index.js';
import { apiPaths, type PruneAnswer } from './api.js';
import type { Caller } from './caller.js';

export class RemoteNetworks implements NetworksApi {
  constructor(private readonly caller: Caller) {}

  create(opts: NetworkCreateOptions): Promise<NetworkInspect> {
    return this.caller.call('POST', apiPaths.networks, opts);
  }

  list(): Promise<NetworkInspect[]> {
    return this.caller.call('GET', apiPaths.networks, undefined, { replay: 'idempotent' });
  }

  inspect(ref: string): Promise<NetworkInspect> {
    return this.caller.call('GET', apiPaths.network(ref), undefined, { replay: 'idempotent' });
  }

  async remove(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.caller.call('DELETE', `${apiPaths.network(ref)}${opts.force ? '?force=1' : ''}`);
  }

  async prune(): Promise<string[]> {
    return (await this.caller.call<PruneAnswer>('POST', apiPaths.networksPrune)).removed;
  }
}
