// The names of sandboxes on overlay networks, between the local state and
// the cluster store: this host's are written there (on its lease), the other
// hosts' are read from there into the network's DNS responder.
import { storeKeys, parseRecord, parseStoreKey, type NameRecord } from '../../../../cluster/records.js';
import type { RemoteName } from '../../../dns-service.js';
import { shortId } from '../../../state/names.js';
import type { SandboxRecord } from '../../../state/records.js';

/** key → value of every name record this host should have in the store. */
export function localNameRecords(hostId: string, sandboxes: readonly SandboxRecord[], overlays: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of sandboxes) {
    if (s.removed) continue;
    for (const e of s.endpoints) {
      if (!overlays.has(e.networkId)) continue;
      const names = [s.name, shortId(s.id), ...e.aliases];
      if (s.hostname !== shortId(s.id)) names.push(s.hostname);
      const r: NameRecord = { hostId, sandbox: s.id, names: [...new Set(names)], ipv4: e.ipv4, ...(e.ipv6 ? { ipv6: e.ipv6 } : {}) };
      out.set(storeKeys.name(e.networkId, e.id), JSON.stringify(r));
    }
  }
  return out;
}

/** The names other hosts registered for `netId`, from the store's keys and values. */
export function remoteNames(hostId: string, netId: string, mirror: ReadonlyMap<string, string>): RemoteName[] {
  const prefix = storeKeys.names(netId);
  const out: RemoteName[] = [];
  for (const [key, value] of mirror) {
    if (!key.startsWith(prefix)) continue;
    const k = parseStoreKey(key);
    const r = parseRecord<NameRecord>(value);
    if (k.kind !== 'name' || !r || r.hostId === hostId || !Array.isArray(r.names) || typeof r.ipv4 !== 'string') continue;
    out.push({ owner: k.endpointId, names: r.names, addresses: [r.ipv4, ...(r.ipv6 ? [r.ipv6] : [])] });
  }
  return out;
}
