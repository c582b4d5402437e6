// Reading the firewall back from a ruleset, for reconciling after a crash:
// which networks have chains, and which ports are published for whom.
import { formatTuple, type Ruleset } from '../../nft/index.js';
import type { PortMapping, PortProtocol } from './inputs.js';
import { FIREWALL_TABLE, maps } from './layout.js';

export interface FirewallState {
  /** Bridges of the networks that have a firewall (keys of @from_bridge). */
  networks: string[];
  /** Every published port, one per host port, with its owner from the element comment. */
  ports: PortMapping[];
}

export function readFirewall(ruleset: Ruleset): FirewallState {
  const sets = new Map(
    ruleset.sets.filter((s) => s.family === 'inet' && s.table === FIREWALL_TABLE).map((s) => [s.name, s.elements]),
  );
  const networks = (sets.get(maps.fromBridge.name) ?? []).map((e) => JSON.parse(formatTuple(['ifname'], e.key)) as string);
  const ports: PortMapping[] = [];
  for (const m of [maps.ports4, maps.ports6, maps.anyPorts4, maps.anyPorts6]) {
    const withHost = m.key.length === 3;
    for (const e of sets.get(m.name) ?? []) {
      if (!(e.data instanceof Uint8Array)) continue;
      const key = formatTuple(m.key, e.key).split(' . ');
      const [containerIp, containerPort] = formatTuple(m.data, e.data).split(' . ') as [string, string];
      const [protocol, port] = (withHost ? key.slice(1) : key) as [PortProtocol, string];
      const p: PortMapping = { endpoint: e.comment ?? '', hostPort: Number(port), protocol, containerIp, containerPort: Number(containerPort) };
      if (withHost) p.hostIp = key[0]!;
      ports.push(p);
    }
  }
  return { networks: networks.sort(), ports };
}
