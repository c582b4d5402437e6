// The graph as indented text for a terminal: networks with the host ends on
// them and where each goes, sandboxes with their interfaces, published ports,
// isolation, drift.
import type { HostGraph } from '../types.js';
import { details, edgesOf, ofKind, presenceOf, driftNote, title } from './labels.js';

export function renderText(g: HostGraph): string {
  const out: string[] = [];
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const mark = (id: string): string => {
    const n = byId.get(id);
    const note = n ? driftNote(presenceOf(n)) : '';
    return note ? `  [${note}]` : '';
  };
  const name = (id: string): string => {
    const n = byId.get(id);
    return n ? title(n) : id;
  };
  const veth = edgesOf(g, 'veth');
  const portOf = edgesOf(g, 'port-of');
  out.push(`netplumb on ${g.stateDir}`, '', 'NETWORKS');
  for (const n of ofKind(g, 'network')) {
    out.push(`  ${title(n)}  ${details(n).join('; ')}${mark(n.id)}`);
    for (const e of portOf.filter((x) => x.to === n.id)) {
      const pair = veth.find((v) => v.from === e.from);
      out.push(`    ${name(e.from)}${pair ? ` <-veth-> ${name(pair.to)}` : ''}${mark(e.from)}`);
    }
  }
  out.push('', 'SANDBOXES');
  for (const s of ofKind(g, 'sandbox')) {
    out.push(`  ${s.name}  ${details(s).join('; ')}${mark(s.id)}`);
    for (const j of edgesOf(g, 'shares-netns').filter((x) => x.from === s.id)) out.push(`    shares the namespace of ${name(j.to)}`);
    for (const e of edgesOf(g, 'in').filter((x) => x.to === s.id)) {
      const i = byId.get(e.from);
      if (i?.kind === 'interface') out.push(`    ${i.name}  ${details(i).join(' ')}${mark(i.id)}`);
    }
  }
  const ports = edgesOf(g, 'publishes');
  if (ports.length) {
    out.push('', 'PUBLISHED PORTS');
    for (const p of ports) out.push(`  ${name(p.from)} -> ${name(p.to)} ${p.label ?? ''}`.trimEnd());
  }
  const iso = edgesOf(g, 'isolated');
  if (iso.length) {
    out.push('', 'ISOLATION');
    const net = (id: string): string => (byId.get(id)?.kind === 'network' ? id.slice('network:'.length) : id);
    for (const e of iso) out.push(`  ${net(e.from)} x ${net(e.to)}${e.label === 'internal' ? ' (internal)' : ''}`);
  }
  out.push('', g.drift.length ? 'DRIFT' : 'DRIFT: none (kernel and state agree)');
  for (const d of g.drift) out.push(`  ${d.presence}: ${d.message}`);
  return `${out.join('\n')}\n`;
}
