// One entry for every format the graph is drawn in.
import { ValidationError } from '../../../core/errors.js';
import { GRAPH_FORMATS, type GraphFormat, type HostGraph } from '../types.js';
import { renderDot } from './dot.js';
import { renderMermaid } from './mermaid.js';
import { renderSvg } from './svg.js';
import { renderText } from './text.js';

export function graphFormat(value: unknown, field = 'format'): GraphFormat {
  if (typeof value === 'string' && (GRAPH_FORMATS as readonly string[]).includes(value)) return value as GraphFormat;
  throw new ValidationError(field, `${field} must be one of ${GRAPH_FORMATS.join(', ')} (got ${JSON.stringify(value)})`);
}

export function renderGraph(g: HostGraph, format: GraphFormat): string {
  switch (format) {
    case 'text':
      return renderText(g);
    case 'dot':
      return renderDot(g);
    case 'mermaid':
      return renderMermaid(g);
    case 'svg':
      return renderSvg(g);
    case 'json':
      return `${JSON.stringify(g, null, 2)}\n`;
  }
}

/** The media type each format is served with. */
export const GRAPH_MEDIA_TYPES: Record<GraphFormat, string> = {
  text: 'text/plain; charset=utf-8',
  dot: 'text/vnd.graphviz; charset=utf-8',
  mermaid: 'text/plain; charset=utf-8',
  svg: 'image/svg+xml',
  json: 'application/json',
};
