// Reading the firewall back from a ruleset, for reconciling after a crash:
// which networks have chains, which ports are published for whom, and which
// state roots share the table.
import { formatTuple, type Ruleset } from '../../nft/index.js';
import type { PortMapping, PortProtocol } from './inputs.js';
import { FIREWALL_TABLE, maps, sets as namedSets } from './layout.js';

export interface FirewallState {
  /** Bridges of the networks that have a firewall (keys of @from_bridge). */
  networks: string[];
  /** The comment of each network's @from_bridge element (who made it), by bridge. */
  networkComments: Record<string, string | undefined>;
  /** Every published port, one per host port, with its owner from the element comment. */
  ports: PortMapping[];
  /** The state roots that share the table (@owners): owner id → state root. */
  owners: Map<number, string>;
}

/** "<owner tag>:<endpoint>" (or a bare endpoint, from before owners were marked). */
function splitComment(comment: string | undefined): { endpoint: string; owner?: string } {
  const m = /^([0-9a-f]{8}):(.+)$/.exec(comment ?? '');
  return m ? { owner: m[1]!, endpoint: m[2]! } : { endpoint: comment ?? '' };
}

export function readFirewall(ruleset: Ruleset): FirewallState {
  const sets = new Map(
    ruleset.sets.filter((s) => s.family === 'inet' && s.table === FIREWALL_TABLE).map((s) => [s.name, s.elements]),
  );
  const networkComments: Record<string, string | undefined> = {};
  for (const e of sets.get(maps.fromBridge.name) ?? []) networkComments[JSON.parse(formatTuple(['ifname'], e.key)) as string] = e.comment;
  const ports: PortMapping[] = [];
  for (const m of [maps.ports4, maps.ports6, maps.anyPorts4, maps.anyPorts6]) {
    const withHost = m.key.length === 3;
    for (const e of sets.get(m.name) ?? []) {
      if (!(e.data instanceof Uint8Array)) continue;
      const key = formatTuple(m.key, e.key).split(' . ');
      const [containerIp, containerPort] = formatTuple(m.data, e.data).split(' . ') as [string, string];
      const [protocol, port] = (withHost ? key.slice(1) : key) as [PortProtocol, string];
      const p: PortMapping = { ...splitComment(e.comment), hostPort: Number(port), protocol, containerIp, containerPort: Number(containerPort) };
      if (withHost) p.hostIp = key[0]!;
      ports.push(p);
    }
  }
  const owners = new Map<number, string>();
  for (const e of sets.get(namedSets.owners.name) ?? []) owners.set(Buffer.from(e.key).readUInt32LE(0), e.comment ?? '');
  return { networks: Object.keys(networkComments).sort(), networkComments, ports, owners };
}
