// The graph as a Mermaid flowchart (GitHub renders it in Markdown): sandboxes
// as subgraphs, drift in a red class.
import type { GraphNode, HostGraph } from '../types.js';
import { details, presenceOf, sandboxMembers, title } from './labels.js';

/** Mermaid ids: letters, digits and underscores only. */
function mid(id: string, ids: Map<string, string>): string {
  let m = ids.get(id);
  if (!m) {
    m = `n${ids.size}`;
    ids.set(id, m);
  }
  return m;
}

const text = (s: string): string => s.replace(/"/g, '#quot;');

function shape(n: GraphNode, label: string): string {
  switch (n.kind) {
    case 'network':
      return `[["${label}"]]`;
    case 'host-port':
      return `>"${label}"]`;
    case 'host-end':
      return `(["${label}"])`;
    default:
      return `["${label}"]`;
  }
}

export function renderMermaid(g: HostGraph): string {
  const ids = new Map<string, string>();
  const lines = ['flowchart LR'];
  const label = (n: GraphNode): string => text([title(n), ...details(n)].join('<br/>'));
  const { members, inside: grouped } = sandboxMembers(g);
  for (const n of g.nodes) {
    if (n.kind === 'sandbox') {
      lines.push(`  subgraph ${mid(n.id, ids)}["${label(n)}"]`);
      for (const i of members.get(n.id) ?? []) lines.push(`    ${mid(i.id, ids)}${shape(i, label(i))}`);
      lines.push('  end');
    } else if (!grouped.has(n.id)) lines.push(`  ${mid(n.id, ids)}${shape(n, label(n))}`);
  }
  for (const e of g.edges) {
    const [a, b] = [mid(e.from, ids), mid(e.to, ids)];
    if (e.kind === 'in') continue;
    if (e.kind === 'veth') lines.push(`  ${a} === ${b}`);
    else if (e.kind === 'isolated') lines.push(`  ${a} -.-x|${e.label ?? 'isolated'}| ${b}`);
    else if (e.kind === 'shares-netns') lines.push(`  ${a} -.->|shares netns| ${b}`);
    else if (e.label) lines.push(`  ${a} -->|"${text(e.label)}"| ${b}`);
    else lines.push(`  ${a} --> ${b}`);
  }
  lines.push('  classDef drift stroke:#c00,stroke-width:2px,stroke-dasharray:5 3,color:#c00');
  const drifted = g.nodes.filter((n) => presenceOf(n) !== 'both').map((n) => mid(n.id, ids));
  if (drifted.length) lines.push(`  class ${drifted.join(',')} drift`);
  return `${lines.join('\n')}\n`;
}
