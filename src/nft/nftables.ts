// Running nf_tables transactions and reading the ruleset back in a namespace.
// A Transaction collects changes and sends them as one batch: the kernel
// applies all of them or none.
import { ValidationError } from '../core/errors.js';
import type { Call } from '../addon/native.js';
import type { Netns } from '../kernel/netns.js';
import { integer, oneOf } from '../core/validate.js';
import { renderRule } from './render.js';
import type { ApplyResult, Chain, Change, Element, Family, Rule, Ruleset, SetSpec, Table } from '../addon/wire/nft.js';
import { opCall, type ArgsOf } from '../addon/ops.js';

/** A set or map made with nftSet()/nftMap(). */
type AnySet = { readonly name: string; readonly spec: SetSpec };

export const nftCalls = {
  /**
   * One transaction; with `genid`, refused (ERESTART) when the ruleset changed
   * since that generation. `readBack: false`: the result has no `genid` (the
   * generation after the transaction costs a trip of its own), for plans
   * that do not use it.
   */
  apply(changes: Change[], opts: { genid?: number; readBack?: boolean } = {}): Call {
    if (!Array.isArray(changes)) throw new ValidationError('changes', 'changes must be an array');
    const args: ArgsOf<'nft.apply'> = { changes };
    if (opts.genid !== undefined) args.genid = integer(opts.genid, 'genid', 0, 0xffffffff);
    if (opts.readBack === false) args.readBack = false;
    return opCall('nft.apply', args);
  },
  list(filter: { family?: Family; table?: string } = {}): Call {
    const args: ArgsOf<'nft.list'> = {};
    if (filter.family) args.family = oneOf(filter.family, 'family', ['ip', 'ip6', 'inet', 'bridge', 'netdev', 'arp'] as const);
    if (filter.table) args.table = filter.table;
    return opCall('nft.list', args);
  },
  getgen(): Call {
    return opCall('nft.getgen', {});
  },
};

// Linux's ERESTART: what the kernel answers a batch whose generation id is stale.
const ERESTART = 85;

/** True for the error of a transaction refused because the ruleset changed since its genid. */
export function isStaleGeneration(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { errno?: number }).errno === ERESTART;
}

function setIdentity(s: AnySet): { family: Family; table: string; name: string } {
  return { family: s.spec.family, table: s.spec.table, name: s.name };
}

export class Transaction {
  readonly changes: Change[] = [];

  constructor(private readonly nft: Nftables | undefined, private readonly genid?: number) {}

  /** Adds a table; an existing one is left as it is (createTable fails instead). */
  addTable(t: Table): this { return this.push({ op: 'add', kind: 'table', ...t }); }
  createTable(t: Table): this { return this.push({ op: 'create', kind: 'table', ...t }); }
  /** Deletes the table with everything in it. */
  deleteTable(t: Pick<Table, 'family' | 'name'>): this { return this.push({ op: 'delete', kind: 'table', family: t.family, name: t.name }); }
  /** Deletes every rule in the table. */
  flushTable(t: Pick<Table, 'family' | 'name'>): this { return this.push({ op: 'flush', kind: 'table', family: t.family, name: t.name }); }

  addChain(c: Chain): this { return this.push({ op: 'add', kind: 'chain', ...c }); }
  createChain(c: Chain): this { return this.push({ op: 'create', kind: 'chain', ...c }); }
  deleteChain(c: Chain): this { return this.push({ op: 'delete', kind: 'chain', family: c.family, table: c.table, name: c.name }); }
  flushChain(c: Chain): this { return this.push({ op: 'flush', kind: 'chain', family: c.family, table: c.table, name: c.name }); }

  /** Appends the rule (after the rule with handle `after`, when given). */
  addRule(r: Rule, opts: { after?: number } = {}): this {
    return this.push({ op: 'add', kind: 'rule', ...this.rule(r), ...(opts.after !== undefined ? { position: opts.after } : {}) });
  }
  /** Inserts the rule first in its chain (before the rule with handle `before`, when given). */
  insertRule(r: Rule, opts: { before?: number } = {}): this {
    return this.push({ op: 'insert', kind: 'rule', ...this.rule(r), ...(opts.before !== undefined ? { position: opts.before } : {}) });
  }
  replaceRule(handle: number, r: Rule): this {
    return this.push({ op: 'replace', kind: 'rule', ...this.rule(r), handle: integer(handle, 'handle', 1, Number.MAX_SAFE_INTEGER) });
  }
  deleteRule(r: Pick<Rule, 'family' | 'table' | 'chain'> & { handle: number }): this {
    return this.push({ op: 'delete', kind: 'rule', family: r.family, table: r.table, chain: r.chain, exprs: [], handle: integer(r.handle, 'handle', 1, Number.MAX_SAFE_INTEGER) });
  }

  addSet(s: AnySet): this { return this.push({ op: 'add', kind: 'set', ...s.spec }); }
  createSet(s: AnySet): this { return this.push({ op: 'create', kind: 'set', ...s.spec }); }
  deleteSet(s: AnySet): this { return this.push({ op: 'delete', kind: 'set', ...s.spec }); }
  /** Removes every element. */
  flushSet(s: AnySet): this { return this.push({ op: 'flush', kind: 'set', ...s.spec }); }

  /** Adds elements (made with set.element() / map.entry()); existing equal keys are kept. */
  addElements(s: AnySet, elements: Element[]): this { return this.elements('add', s, elements); }
  /** Adds elements; fails if one exists. */
  createElements(s: AnySet, elements: Element[]): this { return this.elements('create', s, elements); }
  deleteElements(s: AnySet, elements: Element[]): this { return this.elements('delete', s, elements); }

  private elements(op: 'add' | 'create' | 'delete', s: AnySet, elements: Element[]): this {
    if (elements.length === 0) return this;
    const { family, table, name } = setIdentity(s);
    return this.push({ op, kind: 'element', family, table, set: name, elements });
  }

  private rule(r: Rule): Rule & { object: string } {
    return { ...r, object: `rule ${r.family} ${r.table} ${r.chain}: ${renderRule(r)}` };
  }

  private push(c: Change): this {
    this.changes.push(c);
    return this;
  }

  /** The transaction as one plan call. */
  call(): Call {
    return nftCalls.apply(this.changes, this.genid !== undefined ? { genid: this.genid } : {});
  }

  /** Sends the transaction. */
  async commit(): Promise<ApplyResult> {
    if (!this.nft) throw new ValidationError('transaction', 'this transaction is not bound to a namespace: use call() in a plan');
    return this.nft.apply(this);
  }
}

export class Nftables {
  constructor(readonly ns: Netns) {}

  /** A transaction to fill and commit(); with `genid`, refused if the ruleset changed since. */
  transaction(opts: { genid?: number } = {}): Transaction {
    return new Transaction(this, opts.genid);
  }

  async apply(tx: Transaction | Change[], opts: { genid?: number } = {}): Promise<ApplyResult> {
    const call = Array.isArray(tx) ? nftCalls.apply(tx, opts) : tx.call();
    const [r] = await this.ns.exec([call]);
    return r as ApplyResult;
  }

  /** The ruleset (or one family/table) read as one consistent snapshot, with its generation. */
  async list(filter: { family?: Family; table?: string } = {}): Promise<Ruleset> {
    const [r] = await this.ns.exec([nftCalls.list(filter)]);
    return r as Ruleset;
  }

  async genid(): Promise<number> {
    const [g] = await this.ns.exec([nftCalls.getgen()]);
    return g as number;
  }
}
