// The graph as a self-contained SVG (no fonts, scripts or images fetched):
// five columns, left to right — isolation arcs, networks, host veth ends,
// sandboxes holding their interfaces, published host ports — so that every
// path reads left to right: network ← host end ═ interface ← host port.
// A monospaced font makes text widths computable without a browser.
import type { GraphEdge, GraphNode, HostGraph, HostEndNode, InterfaceNode, SandboxNode } from '../types.js';
import { details, driftNote, edgesOf, ofKind, presenceOf, title } from './labels.js';

const FONT = 11;
const CHAR = FONT * 0.6;
const LINE = 15;
const PAD = 8;
const GAP = 14;
const COL_GAP = 90;
const ISO_MARGIN = 70;

const COLOR = { network: '#2f6db5', sandbox: '#555', iface: '#3b8a3b', end: '#8a5a00', port: '#1f7a4d', iso: '#b22222', drift: '#d00000' };

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const textWidth = (lines: string[]): number => Math.max(...lines.map((l) => l.length)) * CHAR + 2 * PAD;
const boxHeight = (lines: number): number => lines * LINE + 2 * PAD - 4;

function linesOf(n: GraphNode): string[] {
  const note = driftNote(presenceOf(n));
  return [title(n), ...details(n), ...(note ? [note] : [])];
}

/** Places items at their wished-for y, pushed down where they would overlap the one above. */
function spread<T>(items: { item: T; want: number; h: number }[], top: number): Map<T, number> {
  const out = new Map<T, number>();
  let next = top;
  for (const i of [...items].sort((a, b) => a.want - b.want)) {
    const y = Math.max(i.want - i.h / 2, next);
    out.set(i.item, y);
    next = y + i.h + GAP;
  }
  return out;
}

function rect(b: Box, stroke: string, drift: boolean, fill: string, rx = 4): string {
  const dash = drift ? ` stroke-dasharray="6 3"` : '';
  return `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="${rx}" fill="${fill}" stroke="${drift ? COLOR.drift : stroke}" stroke-width="${drift ? 2 : 1.2}"${dash}/>`;
}

function textLines(lines: string[], x: number, y: number, color: string, drift: boolean): string {
  return lines
    .map((l, i) => {
      const isNote = drift && i === lines.length - 1;
      const weight = i === 0 ? ' font-weight="bold"' : '';
      return `<text x="${x}" y="${y + PAD + 8 + i * LINE}" fill="${isNote ? COLOR.drift : i === 0 ? color : '#333'}"${weight}>${esc(l)}</text>`;
    })
    .join('');
}

function curve(x1: number, y1: number, x2: number, y2: number): string {
  const mx = (x1 + x2) / 2;
  return `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
}

export function renderSvg(g: HostGraph): string {
  const networks = ofKind(g, 'network');
  const sandboxes = ofKind(g, 'sandbox');
  const ends = ofKind(g, 'host-end');
  const ports = ofKind(g, 'host-port');
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const membersOf = (s: SandboxNode): InterfaceNode[] =>
    edgesOf(g, 'in')
      .filter((e) => e.to === s.id)
      .map((e) => byId.get(e.from))
      .filter((n): n is InterfaceNode => n?.kind === 'interface');
  const netOf = (id: string): number => {
    const via = g.edges.find((e) => e.kind === 'port-of' && e.from === id);
    const i = networks.findIndex((n) => n.id === via?.to);
    return i < 0 ? networks.length : i;
  };
  const endOf = (iface: InterfaceNode): HostEndNode | undefined => {
    const v = g.edges.find((e) => e.kind === 'veth' && e.to === iface.id);
    const n = v && byId.get(v.from);
    return n?.kind === 'host-end' ? n : undefined;
  };
  // Sandboxes in the order of the first network they are on: fewer crossings.
  const firstNet = (s: SandboxNode): number => Math.min(networks.length, ...membersOf(s).map((i) => netOf(endOf(i)?.id ?? i.id)));
  const orderedSandboxes = [...sandboxes].sort((a, b) => firstNet(a) - firstNet(b));

  const top = 56;
  const wNet = Math.max(160, ...networks.map((n) => textWidth(linesOf(n))));
  const wEnd = Math.max(120, ...ends.map((n) => textWidth(linesOf(n))));
  const wIface = Math.max(150, ...g.nodes.filter((n) => n.kind === 'interface').map((n) => textWidth(linesOf(n))));
  const wSandbox = Math.max(wIface + 2 * PAD, ...sandboxes.map((s) => textWidth(linesOf(s))));
  const wPort = Math.max(130, ...ports.map((n) => textWidth(linesOf(n))));
  const xNet = ISO_MARGIN;
  const xEnd = xNet + wNet + COL_GAP;
  const xSandbox = xEnd + wEnd + COL_GAP;
  const xPort = xSandbox + wSandbox + COL_GAP + 60;

  // Sandboxes stacked; their interfaces inside them.
  const boxes = new Map<string, Box>();
  let y = top;
  for (const s of orderedSandboxes) {
    const head = linesOf(s);
    const members = membersOf(s);
    let iy = y + boxHeight(head.length);
    for (const i of members) {
      const h = boxHeight(linesOf(i).length);
      boxes.set(i.id, { x: xSandbox + PAD, y: iy, w: wSandbox - 2 * PAD, h });
      iy += h + PAD;
    }
    boxes.set(s.id, { x: xSandbox, y, w: wSandbox, h: iy - y + (members.length ? 0 : PAD) });
    y = iy + GAP + 6;
  }
  const mid = (b: Box): number => b.y + b.h / 2;
  // Host ends level with their interface; ends no interface records go below.
  const endWant = ends.map((e) => {
    const v = g.edges.find((x) => x.kind === 'veth' && x.from === e.id);
    const b = v && boxes.get(v.to);
    return { item: e, want: b ? mid(b) : y + 1000 + netOf(e.id), h: boxHeight(linesOf(e).length) };
  });
  for (const [e, ey] of spread(endWant, top)) boxes.set(e.id, { x: xEnd, y: ey, w: wEnd, h: boxHeight(linesOf(e).length) });
  // Networks level with the middle of what is on them.
  const netWant = networks.map((n, i) => {
    const on = g.edges.filter((e) => e.kind === 'port-of' && e.to === n.id).map((e) => boxes.get(e.from)).filter((b): b is Box => b !== undefined);
    const want = on.length ? on.reduce((s, b) => s + mid(b), 0) / on.length : top + i * 80;
    return { item: n, want, h: boxHeight(linesOf(n).length) };
  });
  for (const [n, ny] of spread(netWant, top)) boxes.set(n.id, { x: xNet, y: ny, w: wNet, h: boxHeight(linesOf(n).length) });
  // Ports level with the interface they lead to.
  const portWant = ports.map((p) => {
    const e = g.edges.find((x) => x.kind === 'publishes' && x.from === p.id);
    const b = e && boxes.get(e.to);
    return { item: p, want: b ? mid(b) : top, h: boxHeight(1) };
  });
  for (const [p, py] of spread(portWant, top)) boxes.set(p.id, { x: xPort, y: py, w: wPort, h: boxHeight(1) });

  const parts: string[] = [];
  const bottom = Math.max(y, ...[...boxes.values()].map((b) => b.y + b.h + GAP));
  const width = xPort + wPort + 30;

  // Edges first, under the boxes; published ports last, over them (they end on an interface inside its sandbox).
  for (const e of g.edges) if (e.kind !== 'publishes') parts.push(edgeSvg(e, boxes));

  for (const n of networks) parts.push(nodeSvg(n, boxes, COLOR.network, '#eef4fc'));
  for (const n of ends) parts.push(nodeSvg(n, boxes, COLOR.end, '#fdf6e8', 14));
  for (const s of sandboxes) {
    const b = boxes.get(s.id) as Box;
    const d = s.presence !== 'both';
    parts.push(rect(b, COLOR.sandbox, d, '#f7f7f7', 6) + textLines(linesOf(s), b.x + PAD, b.y - 2, COLOR.sandbox, d));
    for (const i of membersOf(s)) parts.push(nodeSvg(i, boxes, COLOR.iface, '#ffffff'));
  }
  for (const p of ports) parts.push(nodeSvg(p, boxes, COLOR.port, '#eaf7ef', 10));
  for (const e of edgesOf(g, 'publishes')) parts.push(edgeSvg(e, boxes));

  // Legend and drift list under the picture.
  let ly = bottom + 10;
  const legend = [
    `<path d="M${xNet},${ly} h30" stroke="#333" stroke-width="3"/><text x="${xNet + 36}" y="${ly + 4}">veth pair</text>`,
    `<path d="M${xNet + 130},${ly} h30" stroke="#777" stroke-width="1.2"/><text x="${xNet + 166}" y="${ly + 4}">bridge port</text>`,
    `<path d="M${xNet + 270},${ly} h30" stroke="${COLOR.port}" stroke-width="1.5" marker-end="url(#arrow)"/><text x="${xNet + 312}" y="${ly + 4}">published port</text>`,
    `<path d="M${xNet + 430},${ly} h30" stroke="${COLOR.iso}" stroke-dasharray="2 3" stroke-width="1.5"/><text x="${xNet + 466}" y="${ly + 4}">isolated networks</text>`,
    `<rect x="${xNet + 610}" y="${ly - 7}" width="30" height="14" fill="none" stroke="${COLOR.drift}" stroke-dasharray="6 3" stroke-width="2"/><text x="${xNet + 646}" y="${ly + 4}">drift (kernel and state disagree)</text>`,
  ];
  parts.push(...legend);
  ly += 26;
  parts.push(`<text x="${xNet}" y="${ly}" font-weight="bold" fill="${g.drift.length ? COLOR.drift : '#333'}">${g.drift.length ? `Drift (${g.drift.length})` : 'No drift: the kernel and the state agree'}</text>`);
  for (const d of g.drift) {
    ly += LINE;
    parts.push(`<text x="${xNet + 10}" y="${ly}" fill="${COLOR.drift}">${esc(`${d.presence}: ${d.message}`)}</text>`);
  }
  const driftWidth = Math.max(0, ...g.drift.map((d) => (d.presence.length + d.message.length + 2) * CHAR + xNet + 20));
  const W = Math.ceil(Math.max(width, driftWidth, xNet + 860));
  const H = Math.ceil(ly + 20);
  const heading = `netplumb on ${g.stateDir}: ${networks.length} network(s), ${sandboxes.length} sandbox(es), ${ports.length} published port(s)`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${FONT}">`,
    `<title>${esc(heading)}</title>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${COLOR.port}"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${xNet}" y="24" font-size="14" font-weight="bold" fill="#222">${esc(heading)}</text>`,
    `<text x="${xNet}" y="42" fill="#666">networks · host veth ends · sandboxes and their interfaces · published host ports</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function nodeSvg(n: GraphNode, boxes: Map<string, Box>, color: string, fill: string, rx = 4): string {
  const b = boxes.get(n.id);
  if (!b) return '';
  const d = presenceOf(n) !== 'both';
  return `<g data-node="${esc(n.id)}">${rect(b, color, d, fill, rx)}${textLines(linesOf(n), b.x + PAD, b.y, color, d)}</g>`;
}

function edgeSvg(e: GraphEdge, boxes: Map<string, Box>): string {
  const a = boxes.get(e.from);
  const b = boxes.get(e.to);
  if (!a || !b) return '';
  const ma = a.y + a.h / 2;
  const mb = b.y + b.h / 2;
  switch (e.kind) {
    case 'port-of':
      // Host end (or stacked interface) → network: from its left side to the network's right side.
      return `<path d="${curve(a.x, ma, b.x + b.w, mb)}" fill="none" stroke="#777" stroke-width="1.2"/>`;
    case 'veth':
      return `<path d="${curve(a.x + a.w, ma, b.x, mb)}" fill="none" stroke="#333" stroke-width="3"/>`;
    case 'publishes': {
      // The label sits above the line next to the port: "sandbox address:port/proto".
      const path = curve(a.x, ma, b.x + b.w, mb);
      const label = e.label ?? '';
      return `<path d="${path}" fill="none" stroke="${COLOR.port}" stroke-width="1.5" marker-end="url(#arrow)"/><text x="${a.x - 6}" y="${ma - 5}" text-anchor="end" fill="${COLOR.port}">${esc(label)}</text>`;
    }
    case 'isolated': {
      // An arc left of the networks column, deeper for networks further apart.
      const x = a.x;
      const depth = Math.min(ISO_MARGIN - 8, 14 + Math.abs(mb - ma) / 8);
      const cy = (ma + mb) / 2;
      return `<path d="M${x},${ma} C${x - depth},${ma} ${x - depth},${mb} ${x},${mb}" fill="none" stroke="${COLOR.iso}" stroke-width="1.5" stroke-dasharray="2 3"/><text x="${x - depth * 0.75 - 4}" y="${cy + 4}" text-anchor="middle" fill="${COLOR.iso}" font-size="13">${e.label === 'internal' ? '⊘' : '✕'}</text>`;
    }
    case 'shares-netns': {
      const x = a.x + a.w;
      return `<path d="M${x},${ma} C${x + 40},${ma} ${x + 40},${mb} ${x},${mb}" fill="none" stroke="#555" stroke-dasharray="5 3"/><text x="${x + 36}" y="${(ma + mb) / 2}" fill="#555">shares netns</text>`;
    }
    default:
      // 'in': an interface is drawn inside its sandbox.
      return '';
  }
}
