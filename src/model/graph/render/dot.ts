// The graph in Graphviz's language: each sandbox a cluster holding its
// interfaces; drift drawn dashed and red.
import type { GraphEdge, GraphNode, HostGraph } from '../types.js';
import { details, driftNote, presenceOf, sandboxMembers, title } from './labels.js';

const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const quote = (s: string): string => `"${esc(s)}"`;
/** Lines joined by dot's own line break (\n inside a quoted label). */
const label = (lines: string[]): string => `"${lines.map(esc).join('\\n')}"`;

const SHAPE: Record<GraphNode['kind'], string> = { network: 'box3d', sandbox: 'folder', interface: 'box', 'host-end': 'ellipse', 'host-port': 'cds' };

function nodeLine(n: GraphNode, indent: string): string {
  const note = driftNote(presenceOf(n));
  const style = note ? ', style=dashed, color=red, fontcolor=red' : '';
  return `${indent}${quote(n.id)} [shape=${SHAPE[n.kind]}, label=${label([title(n), ...details(n), ...(note ? [note] : [])])}${style}];`;
}

function edgeAttrs(e: GraphEdge): string[] {
  switch (e.kind) {
    case 'isolated':
      return ['dir=none', 'style=dotted', 'color=firebrick', `label=${quote(e.label ?? 'isolated')}`];
    case 'veth':
      return ['dir=none', 'penwidth=2', 'label="veth"'];
    case 'publishes':
      return ['color=darkgreen', 'fontcolor=darkgreen', `label=${quote(e.label ?? '')}`];
    case 'shares-netns':
      return ['style=dashed', 'label="shares netns"'];
    default:
      return e.label ? [`label=${quote(e.label)}`] : [];
  }
}

export function renderDot(g: HostGraph): string {
  const lines = ['digraph netplumb {', '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica", fontsize=9];'];
  const { members: inside, inside: clustered } = sandboxMembers(g);
  for (const n of g.nodes) {
    if (n.kind === 'sandbox') {
      const note = driftNote(n.presence);
      lines.push(`  subgraph ${quote(`cluster_${n.id}`)} {`, `    label=${label([title(n), ...details(n), ...(note ? [note] : [])])};`);
      if (note) lines.push('    style=dashed; color=red;');
      // The sandbox's own node, so that edges to the sandbox (shares netns) have an end.
      lines.push(`    ${quote(n.id)} [shape=point, width=0.05];`);
      for (const i of inside.get(n.id) ?? []) lines.push(nodeLine(i, '    '));
      lines.push('  }');
    } else if (!clustered.has(n.id)) lines.push(nodeLine(n, '  '));
  }
  for (const e of g.edges) {
    if (e.kind === 'in') continue;
    const attrs = edgeAttrs(e);
    lines.push(`  ${quote(e.from)} -> ${quote(e.to)}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
