// Docker's network events (GET /events) from the model's: a network made is
// `create`, removed `destroy`; an endpoint made is `connect`, taken down
// `disconnect`, with the sandbox as the container. Other model events have
// no Docker counterpart and are not sent.
import { RequestError } from '../../core/errors.js';
import type { ModelEvent } from '../../model/index.js';
import { anyOf, labelsMatch, type Filters } from './filters.js';

export interface DockerEvent {
  Type: 'network';
  Action: 'create' | 'connect' | 'disconnect' | 'destroy';
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

export const EVENT_FILTERS = ['type', 'event', 'network', 'container', 'scope', 'label'] as const;

export function dockerEvent(e: ModelEvent): DockerEvent | undefined {
  let ev: Pick<DockerEvent, 'Action' | 'Actor'>;
  if (e.type === 'network') {
    ev = { Action: e.action === 'create' ? 'create' : 'destroy', Actor: { ID: e.network.id, Attributes: { name: e.network.name, type: e.network.driver } } };
  } else if (e.type === 'endpoint') {
    ev = {
      Action: e.action === 'create' ? 'connect' : 'disconnect',
      Actor: { ID: e.network.id, Attributes: { container: e.sandbox.id, name: e.network.name, type: 'bridge' } },
    };
  } else {
    return undefined;
  }
  return { Type: 'network', ...ev, scope: 'local', time: Math.floor(e.time / 1000), timeNano: Math.round(e.time * 1e6) };
}

export function eventMatches(e: DockerEvent, f: Filters, names: { container?: string }): boolean {
  return (
    anyOf(f.get('type'), (t) => t === e.Type) &&
    anyOf(f.get('event'), (a) => a === e.Action) &&
    anyOf(f.get('scope'), (s) => s === e.scope) &&
    anyOf(f.get('network'), (n) => n === e.Actor.Attributes.name || (n.length >= 3 && e.Actor.ID.startsWith(n))) &&
    anyOf(f.get('container'), (c) => e.Actor.Attributes.container !== undefined && (c === names.container || e.Actor.Attributes.container.startsWith(c))) &&
    labelsMatch(e.Actor.Attributes, f.get('label'))
  );
}

/** `since`/`until` as Docker clients send them: Unix seconds with an optional fraction, or an RFC 3339 date. Returns ms since the epoch. */
export function parseEventTime(raw: string | null, field: string): number | undefined {
  if (raw === null || raw === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new RequestError(400, `invalid value for ${field}: '${raw}' is neither Unix seconds nor an RFC 3339 date`);
  return t;
}
