// The words each node is drawn with, shared by every renderer, and the
// lookups renderers need (nodes by kind, edges by node).
import type { GraphEdge, GraphNode, HostGraph, Presence } from '../types.js';

export function title(n: GraphNode): string {
  switch (n.kind) {
    case 'network':
      return `${n.name} (${n.driver})`;
    case 'sandbox':
      return n.name;
    case 'interface':
      return `${n.sandbox}/${n.name}`;
    case 'host-end':
      return n.name;
    case 'host-port':
      return `${n.address}:${n.port}/${n.protocol}`;
  }
}

/** The lines under a node's title. */
export function details(n: GraphNode): string[] {
  switch (n.kind) {
    case 'network': {
      const lines = n.subnet ? [`${n.subnet} gw ${n.gateway}`] : [];
      if (n.subnet6) lines.push(`${n.subnet6} gw ${n.gateway6 ?? ''}`);
      lines.push(`${n.device}${n.presence === 'state-only' ? ' (missing)' : n.deviceUp ? ' up' : ' down'}${n.internal ? ', internal' : ''}${n.icc ? '' : ', no icc'}`);
      return lines;
    }
    case 'sandbox':
      return [`${n.mode}${n.hostname ? `, hostname ${n.hostname}` : ''}`, ...(n.netns ? [n.netns] : [])];
    case 'interface':
      return [`${n.linkKind}${n.up ? ' up' : ' down'}${n.mac ? ` ${n.mac}` : ''}`, ...n.addresses];
    case 'host-end':
      return [`${n.master ? `port of ${n.master}` : 'no bridge'}${n.up ? ', up' : ', down'}`];
    case 'host-port':
      return [];
  }
}

export function driftNote(p: Presence): string {
  return p === 'kernel-only' ? 'DRIFT: kernel only' : p === 'state-only' ? 'DRIFT: state only' : '';
}

export function presenceOf(n: GraphNode): Presence {
  return n.kind === 'host-port' ? 'both' : n.presence;
}

export function ofKind<K extends GraphNode['kind']>(g: HostGraph, kind: K): Extract<GraphNode, { kind: K }>[] {
  return g.nodes.filter((n): n is Extract<GraphNode, { kind: K }> => n.kind === kind);
}

export function edgesOf(g: HostGraph, kind: GraphEdge['kind']): GraphEdge[] {
  return g.edges.filter((e) => e.kind === kind);
}

/** The interfaces drawn inside each sandbox (by sandbox id), and the ids of all of them. */
export function sandboxMembers(g: HostGraph): { members: Map<string, GraphNode[]>; inside: Set<string> } {
  const members = new Map<string, GraphNode[]>();
  for (const e of edgesOf(g, 'in')) {
    const n = g.nodes.find((x) => x.id === e.from);
    if (n) members.set(e.to, [...(members.get(e.to) ?? []), n]);
  }
  return { members, inside: new Set([...members.values()].flat().map((n) => n.id)) };
}
