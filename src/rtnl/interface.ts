// What addresses, routes and neighbours share: naming an interface by name or
// index, and the scope argument (names or 0-255).
import { ValidationError } from '../core/errors.js';
import { integer, interfaceName } from '../core/validate.js';

/** Names an interface by name (`dev`) or by ifindex (`index`). */
export interface InterfaceSelector {
  dev?: string;
  index?: number;
}

/** The {dev} or {index} arguments of a call; `required` makes one of them mandatory. */
export function interfaceArgs(sel: InterfaceSelector, required: boolean): { dev?: string; index?: number } {
  if (sel.index !== undefined) return { index: integer(sel.index, 'index', 1, 2 ** 31 - 1) };
  if (sel.dev !== undefined) return { dev: interfaceName(sel.dev, 'dev') };
  if (required) throw new ValidationError('dev', 'an interface is required: give dev (a name) or index');
  return {};
}

const SCOPES = ['global', 'site', 'link', 'host', 'nowhere'];

export function scopeArg(scope: unknown, field = 'scope', names: readonly string[] = SCOPES): string | number {
  if (typeof scope === 'number') return integer(scope, field, 0, 255);
  if (typeof scope === 'string' && names.includes(scope)) return scope;
  throw new ValidationError(field, `${field} must be one of ${names.join(', ')} or 0-255, got ${String(scope)}`);
}
