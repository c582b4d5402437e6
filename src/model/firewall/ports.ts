// Published ports: one map element per host port, in the map of its family
// and binding (one host address, or every local address), with the owning
// endpoint as the element's comment.
import { isIP } from 'node:net';
import { Transaction, type Change, type Element } from '../../nft/index.js';
import { expandPorts, type FirewallNetwork, type PortMapping } from './inputs.js';
import { maps } from './layout.js';

type PortMap = typeof maps.ports4 | typeof maps.ports6 | typeof maps.anyPorts4 | typeof maps.anyPorts6;

function mapOf(p: PortMapping): PortMap {
  const v6 = isIP(p.containerIp) === 6;
  if (p.hostIp === undefined) return v6 ? maps.anyPorts6 : maps.anyPorts4;
  return v6 ? maps.ports6 : maps.ports4;
}

function element(p: PortMapping, withData: boolean): Element {
  const m = mapOf(p);
  const key = p.hostIp === undefined ? [p.protocol, p.hostPort] : [p.hostIp, p.protocol, p.hostPort];
  // The map types are a union; each takes the key shape chosen above.
  const typed = m as unknown as {
    element(k: unknown, o?: { comment?: string }): Element;
    entry(k: unknown, v: unknown, o?: { comment?: string }): Element;
  };
  const comment = p.owner !== undefined ? `${p.owner}:${p.endpoint}` : p.endpoint;
  return withData ? typed.entry(key, [p.containerIp, p.containerPort], { comment }) : typed.element(key);
}

function grouped(ports: PortMapping[], withData: boolean): Map<PortMap, Element[]> {
  const out = new Map<PortMap, Element[]>();
  for (const p of ports) {
    const m = mapOf(p);
    let list = out.get(m);
    if (!list) out.set(m, (list = []));
    list.push(element(p, withData));
  }
  return out;
}

/**
 * One element per host port (ranges expanded). Elements are created, not
 * added: a port already published fails the transaction (AlreadyExistsError)
 * rather than silently keeping the earlier owner. Ports without hostIp take
 * the network's hostBinding when it is of their family.
 */
export function publishChanges(ports: PortMapping[], network?: Pick<FirewallNetwork, 'hostBinding'>): Change[] {
  const tx = new Transaction(undefined);
  for (const [m, els] of grouped(expandPorts(ports, network), true)) tx.createElements(m, els);
  return tx.changes;
}

/** The inverse of publishChanges for the same ports (and network). */
export function unpublishChanges(ports: PortMapping[], network?: Pick<FirewallNetwork, 'hostBinding'>): Change[] {
  const tx = new Transaction(undefined);
  for (const [m, els] of grouped(expandPorts(ports, network), false)) tx.deleteElements(m, els);
  return tx.changes;
}
