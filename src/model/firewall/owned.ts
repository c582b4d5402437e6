// Table inet netplumb shared by several state roots on one host. Each owner
// registers in @owners while it has networks, marks its chains and elements
// with its tag, and changes only what carries its own mark: joining and
// leaving the table, and bringing its own part back in line with its records
// (reconcile, the firewall guard) by a diff against the ruleset as it is —
// never by deleting the table, which holds the other owners' parts too.
import { Transaction, renderRule, type Change, type Chain, type Element, type Ruleset } from '../../nft/index.js';
import { baseChanges } from './base.js';
import { expandPorts, type FirewallNetwork, type PortMapping } from './inputs.js';
import { FIREWALL_TABLE, chains as baseChains, maps, networkChains, sets } from './layout.js';
import { networkChanges } from './network.js';
import { publishChanges } from './ports.js';
import { readFirewall } from './read.js';

export interface TableOwner {
  /** The owner id (@owners key, and the device group of its links). */
  id: number;
  /** The id as comments carry it (8 hex digits). */
  tag: string;
  /** The state root, the comment of its @owners element. */
  root: string;
}

type AnySet = typeof sets.bridges | typeof sets.owners | (typeof maps)[keyof typeof maps];

const table = { family: 'inet' as const, name: FIREWALL_TABLE };

function ours(current: Ruleset): Ruleset {
  return { ...current, rules: current.rules.filter((r) => r.family === 'inet' && r.table === FIREWALL_TABLE) };
}

function tableOf(current: Ruleset) {
  return current.tables.find((t) => t.family === 'inet' && t.name === FIREWALL_TABLE);
}

function elementsOf(current: Ruleset, s: AnySet): Element[] {
  return current.sets.find((x) => x.family === 'inet' && x.table === FIREWALL_TABLE && x.name === s.name)?.elements ?? [];
}

const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : '');
const dataText = (e: Element): string => (e.data instanceof Uint8Array ? hex(e.data) : e.data ? `${e.data.verdict}:${e.data.chain ?? ''}` : '');
const sameElement = (a: Element, b: Element): boolean =>
  hex(a.key) === hex(b.key) && dataText(a) === dataText(b) && (a.comment ?? '') === (b.comment ?? '') && (a.flags ?? 0) === (b.flags ?? 0);

function ownerElement(owner: TableOwner): Element {
  return sets.owners.element(owner.id, { comment: owner.root });
}

/**
 * The base layout (made, or put right if a base chain holds other rules) and
 * this owner's @owners element: what a network's creation needs first. Keeps
 * `persist` on a table an owning daemon left orphaned (it cannot be switched off).
 */
export function joinTable(current: Ruleset, owner: TableOwner, opts: { owned: boolean }): Change[] {
  const existing = tableOf(current);
  // A table made without persist cannot be given owner + persist (the kernel
  // refuses to switch it: EOPNOTSUPP): an owning engine then joins it unowned,
  // as claimTable left it when other state roots had parts in it.
  const owned = opts.owned && (!existing || (existing.flags ?? []).includes('persist'));
  const base = baseChanges({ owned, current: ours(current) });
  const keepPersist = !owned && existing?.flags?.includes('persist');
  const changes = keepPersist ? base.map((c) => (c.kind === 'table' ? ({ ...c, flags: ['persist'] } as Change) : c)) : base;
  return [...changes, ...new Transaction(undefined).addElements(sets.owners, [ownerElement(owner)]).changes];
}

/** Whether the base layout or this owner's @owners element is missing or wrong (joinTable would change something). */
function joinNeeded(current: Ruleset, owner: TableOwner): boolean {
  if (!tableOf(current)) return true;
  const names = (kind: 'chains' | 'sets') => new Set(current[kind].filter((x) => x.family === 'inet' && x.table === FIREWALL_TABLE).map((x) => x.name));
  const chainNames = names('chains');
  const setNames = names('sets');
  if (Object.values(baseChains).some((c) => !chainNames.has(c.name))) return true;
  if ([...Object.values(sets), ...Object.values(maps)].some((m) => !setNames.has(m.name))) return true;
  if (baseChanges({ owned: false, current: ours(current) }).some((c) => c.kind === 'rule' || c.op === 'flush')) return true;
  return !readFirewall(current).owners.has(owner.id);
}

/** Keeps the changes of `changes` that delete something `current` holds (a deletion of what is gone fails the batch). */
function onlyPresent(changes: Change[], current: Ruleset): Change[] {
  const out: Change[] = [];
  for (const c of changes) {
    if (c.op !== 'delete') {
      out.push(c);
    } else if (c.kind === 'chain') {
      if (current.chains.some((x) => x.family === 'inet' && x.table === FIREWALL_TABLE && x.name === c.name)) out.push(c);
    } else if (c.kind === 'element') {
      const have = new Set(current.sets.find((s) => s.family === 'inet' && s.table === FIREWALL_TABLE && s.name === c.set)?.elements.map((e) => hex(e.key)) ?? []);
      const elements = c.elements.filter((e) => have.has(hex(e.key)));
      if (elements.length > 0) out.push({ ...c, elements });
    } else {
      out.push(c);
    }
  }
  return out;
}

/**
 * Takes a network's part out of the table, from what `current` holds. With
 * `last` (the owner's last network) the owner leaves @owners, and the table
 * goes too when no other owner is left in it: the ruleset is then as it was
 * before the first network of any owner.
 */
export function leaveNetwork(current: Ruleset, owner: TableOwner, last: boolean, removeChanges: Change[]): Change[] {
  if (!tableOf(current)) return [];
  if (last) {
    const others = [...readFirewall(current).owners.keys()].filter((id) => id !== owner.id);
    if (others.length === 0) return [{ op: 'delete', kind: 'table', ...table } as Change];
  }
  const changes = onlyPresent(removeChanges, current);
  if (last) changes.push(...onlyPresent(new Transaction(undefined).deleteElements(sets.owners, [ownerElement(owner)]).changes, current));
  return changes;
}

export interface OwnPart {
  /** The owner's networks, each with the comment its chains and elements carry. */
  networks: FirewallNetwork[];
  /** The owner's published ports (owner set on each). */
  ports: PortMapping[];
  /** Bare endpoint comments (from before owners were marked) that are this owner's. */
  legacyEndpoints: ReadonlySet<string>;
}

export interface OwnRebuild {
  changes: Change[];
  /** Ports of this owner that another owner's element holds now: left out, to report. */
  taken: PortMapping[];
}

/**
 * Brings this owner's part of the table in line with `part` and leaves every
 * other owner's alone: base layout and @owners element added if missing,
 * its network chains made or refilled, its elements added where missing,
 * replaced where different, deleted where no longer its (and its
 * elements and chains of networks it no longer has deleted). With no
 * network left it leaves the table (deleting it when no other owner is in it).
 */
export function ownRebuild(current: Ruleset, owner: TableOwner, part: OwnPart, opts: { owned: boolean }): OwnRebuild {
  const state = readFirewall(current);
  const mineComment = (c: string | undefined): boolean => (c ?? '').startsWith(`${owner.tag}:`);
  const myBridges = new Set(part.networks.map((n) => n.bridge));

  if (part.networks.length === 0) {
    if (!tableOf(current)) return { changes: [], taken: [] };
    const others = [...state.owners.keys()].filter((id) => id !== owner.id);
    if (others.length === 0 && Object.values(state.networkComments).every(mineComment) && state.ports.every((p) => p.owner === owner.tag || p.owner === undefined))
      return { changes: [{ op: 'delete', kind: 'table', ...table } as Change], taken: [] };
  }

  const changes: Change[] = [];
  if (part.networks.length > 0 && joinNeeded(current, owner)) changes.push(...joinTable(current, owner, opts));
  const elementTx = new Transaction(undefined);

  // Desired elements and chains of this owner.
  const wantChains = new Map<string, { chain: Chain; rules: string[]; changes: Change[] }>();
  const wantElements = new Map<string, Element[]>();
  const want = (set: string, els: Element[]): void => {
    wantElements.set(set, [...(wantElements.get(set) ?? []), ...els]);
  };
  for (const n of part.networks) {
    const made = networkChanges(n);
    for (const c of made) {
      if (c.kind === 'chain') wantChains.set(c.name, { chain: c, rules: [], changes: [] });
      else if (c.kind === 'rule') {
        const w = wantChains.get(c.chain);
        w?.rules.push(renderRule(c));
        w?.changes.push(c);
      } else if (c.kind === 'element') want(c.set, c.elements);
    }
  }
  const taken: PortMapping[] = [];
  const foreignKeys = new Map<string, Set<string>>();
  for (const m of [maps.ports4, maps.ports6, maps.anyPorts4, maps.anyPorts6])
    foreignKeys.set(m.name, new Set(elementsOf(current, m).filter((e) => !mineComment(e.comment) && !part.legacyEndpoints.has(e.comment ?? '')).map((e) => hex(e.key))));
  for (const c of publishChanges(part.ports)) {
    if (c.kind !== 'element') continue;
    const foreign = foreignKeys.get(c.set) ?? new Set();
    const free = c.elements.filter((e) => !foreign.has(hex(e.key)));
    want(c.set, free);
    if (free.length < c.elements.length) {
      const lost = new Set(c.elements.filter((e) => foreign.has(hex(e.key))).map((e) => hex(e.key)));
      taken.push(...expandPorts(part.ports).filter((p) => lost.has(hex(publishChanges([p]).flatMap((x) => (x.kind === 'element' ? x.elements : []))[0]?.key))));
    }
  }

  // Chains: this owner's networks' chains made or refilled; chains of networks it no longer has deleted.
  const present = new Map(current.chains.filter((c) => c.family === 'inet' && c.table === FIREWALL_TABLE).map((c) => [c.name, c]));
  const rulesOf = (name: string): string[] => current.rules.filter((r) => r.family === 'inet' && r.table === FIREWALL_TABLE && r.chain === name).map(renderRule);
  const strayChains: Chain[] = [];
  for (const c of present.values()) {
    if (wantChains.has(c.name) || Object.values(baseChains).some((b) => b.name === c.name)) continue;
    if (mineComment(c.comment)) strayChains.push(c);
  }
  for (const [bridge, comment] of Object.entries(state.networkComments))
    if (!myBridges.has(bridge) && mineComment(comment))
      for (const c of Object.values(networkChains(bridge))) if (present.has(c.name) && !strayChains.some((s) => s.name === c.name)) strayChains.push(c);

  // Elements: in every set and map, this owner's that are not wanted (or differ) go; wanted ones missing come.
  const isMine = (e: Element): boolean => mineComment(e.comment) || (e.comment !== undefined && part.legacyEndpoints.has(e.comment));
  for (const s of [sets.bridges, ...Object.values(maps)] as AnySet[]) {
    const have = elementsOf(current, s);
    const starts = have.filter((e) => !isEnd(e));
    const byKey = new Map(starts.map((e) => [hex(e.key), e]));
    const wanted = (wantElements.get(s.name) ?? []).filter((e) => !isEnd(e));
    const wantedKeys = new Map(wanted.map((w) => [hex(w.key), w]));
    const drop: Element[] = [];
    for (const e of starts) {
      const w = wantedKeys.get(hex(e.key));
      // Network elements from before owners were marked: keyed by one of this owner's bridges or subnets.
      const legacy = e.comment === undefined && w !== undefined && s !== maps.ports4 && s !== maps.ports6 && s !== maps.anyPorts4 && s !== maps.anyPorts6;
      if (!isMine(e) && !legacy) continue;
      if (w && sameElement(w, e)) continue;
      drop.push(e);
    }
    const add = wanted.filter((w) => {
      const h = byKey.get(hex(w.key));
      return h === undefined || drop.includes(h);
    });
    if (drop.length > 0) elementTx.deleteElements(s, withEnds(s, drop, have));
    if (add.length > 0) elementTx.addElements(s, withWantedEnds(s, add, wantElements.get(s.name) ?? []));
  }
  // Chains first (elements jump to them): made, or emptied and refilled when their rules differ.
  for (const [name, w] of wantChains) {
    if (present.has(name)) {
      const rules = rulesOf(name);
      if (rules.length === w.rules.length && rules.every((r, i) => r === w.rules[i])) continue;
      changes.push(...new Transaction(undefined).flushChain(w.chain).changes);
    } else {
      changes.push(...new Transaction(undefined).addChain(w.chain).changes);
    }
    changes.push(...w.changes);
  }
  changes.push(...elementTx.changes);
  // Then the chains of networks it no longer has: nothing jumps to them any more.
  for (const c of strayChains) changes.push(...new Transaction(undefined).deleteChain(c).changes);
  if (part.networks.length === 0) changes.push(...onlyPresent(new Transaction(undefined).deleteElements(sets.owners, [ownerElement(owner)]).changes, current));
  return { changes, taken };
}

const isEnd = (e: Element): boolean => ((e.flags ?? 0) & 1) === 1;
const keyNumber = (e: Element): bigint => BigInt(`0x${hex(e.key) || '0'}`);

/**
 * Interval maps keep a range as its first address and, flagged as the end,
 * the address after its last: each start to delete goes with the end the
 * kernel holds for it (the nearest end above it).
 */
function withEnds(s: AnySet, drop: Element[], have: Element[]): Element[] {
  if (!s.spec.flags?.includes('interval')) return drop;
  const ends = have.filter(isEnd).sort((a, b) => (keyNumber(a) < keyNumber(b) ? -1 : 1));
  const out: Element[] = [];
  for (const e of drop) {
    out.push(e);
    const end = ends.find((x) => keyNumber(x) > keyNumber(e));
    if (end) out.push({ key: end.key, flags: 1 });
  }
  return out;
}

/** The wanted starts to add, each with the end element that prefix() made for it. */
function withWantedEnds(s: AnySet, add: Element[], wanted: Element[]): Element[] {
  if (!s.spec.flags?.includes('interval')) return add;
  const out: Element[] = [];
  for (const e of add) {
    out.push(e);
    const next = wanted[wanted.indexOf(e) + 1];
    if (next && isEnd(next)) out.push(next);
  }
  return out;
}
