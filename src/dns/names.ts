// The names a network's DNS responder answers for: each sandbox on the
// network registers its name and aliases with its addresses. Several
// sandboxes may share an alias; a lookup then returns all their addresses.
// The first name registered is the sandbox's own: reverse lookups answer it.
import { ValidationError } from '../core/errors.js';
import { canonicalAddress, parseAddress } from '../addressing/ipnet.js';

export interface NameAddresses {
  v4: string[];
  v6: string[];
}

/** DNS names compare case-insensitively (RFC 4343) and "web." is "web". */
export function normalizeName(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}

export class NameTable {
  private readonly byOwner = new Map<string, { primary: string; names: string[]; addresses: string[] }>();

  /** Sets (or replaces) what `owner` (an endpoint id) answers for; `names[0]` is what its addresses resolve back to. */
  register(owner: string, names: readonly string[], addresses: readonly string[]): void {
    const clean = [...new Set(names.map(normalizeName))];
    if (clean.length === 0 || clean.some((n) => n === '' || n.length > 253))
      throw new ValidationError('names', `DNS names must be 1-253 characters, got ${JSON.stringify(names)}`);
    // Case is kept for the reverse answer: it is the sandbox's name as given, like Docker's.
    const first = names[0] as string;
    const primary = first.endsWith('.') ? first.slice(0, -1) : first;
    this.byOwner.set(owner, { primary, names: clean, addresses: addresses.map((a) => canonicalAddress(a)) });
  }

  /** Forgets `owner`; false when it was not registered. */
  unregister(owner: string): boolean {
    return this.byOwner.delete(owner);
  }

  /** The addresses for `name`, or undefined when no sandbox has that name. */
  lookup(name: string): NameAddresses | undefined {
    const key = normalizeName(name);
    let found: NameAddresses | undefined;
    for (const entry of this.byOwner.values()) {
      if (!entry.names.includes(key)) continue;
      found ??= { v4: [], v6: [] };
      for (const a of entry.addresses) {
        const list = parseAddress(a).family === 4 ? found.v4 : found.v6;
        if (!list.includes(a)) list.push(a);
      }
    }
    return found;
  }

  /** The first name of the owner that has `address`, or undefined when none has it. */
  nameFor(address: string): string | undefined {
    const key = canonicalAddress(address);
    for (const entry of this.byOwner.values()) if (entry.addresses.includes(key)) return entry.primary;
    return undefined;
  }

  /** The owners registered now. */
  owners(): string[] {
    return [...this.byOwner.keys()];
  }

  /** Every registered name, sorted. */
  names(): string[] {
    return [...new Set([...this.byOwner.values()].flatMap((e) => e.names))].sort();
  }
}
