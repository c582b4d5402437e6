// The part of the table that does not depend on networks or ports: the table
// itself, four base chains with a few fixed rules each, and the maps the rules
// look up. Building it is idempotent: given the current ruleset, only what is
// missing (or wrong) is added.
import {
  Transaction, ct, fib, ip, ip6, meta, renderRule, rule, th, type Change, type Chain, type Rule, type Ruleset,
} from '../../nft/index.js';
import { FIREWALL_TABLE, chains, firewallTable, maps, sets } from './layout.js';

const local = fib.daddr.type.eq('local');

/**
 * DNAT through the two port maps of each family. IPv6 never DNATs ::1: the
 * kernel refuses to send a packet with a loopback address out of lo (IPv6 has
 * no route_localnet). IPv4 DNATs 127.0.0.0/8 only in output, for the host's
 * own connections (the bridges have route_localnet, and loopback sources are
 * masqueraded on the way in); in prerouting a packet from outside addressed
 * to 127.0.0.1 must not reach a port published on the host's loopback.
 */
function dnatRules(c: Chain, loopback4: boolean): Rule[] {
  const no4 = loopback4 ? [] : [ip.daddr.notIn('127.0.0.0/8')];
  const v4 = () => rule(c).match(local, meta.nfproto.eq('ipv4'), ...no4);
  const v6 = () => rule(c).match(local, meta.nfproto.eq('ipv6'), ip6.daddr.neq('::1'));
  return [
    v4().dnat(ip.daddr.concat(meta.l4proto).concat(th.dport).map(maps.ports4)).build(),
    v4().dnat(meta.l4proto.concat(th.dport).map(maps.anyPorts4)).build(),
    v6().dnat(ip6.daddr.concat(meta.l4proto).concat(th.dport).map(maps.ports6)).build(),
    v6().dnat(meta.l4proto.concat(th.dport).map(maps.anyPorts6)).build(),
  ];
}

/** The fixed rules of each base chain, in order. */
export function baseRules(): Map<Chain, Rule[]> {
  return new Map<Chain, Rule[]>([
    [chains.prerouting, dnatRules(chains.prerouting, false)],
    [chains.output, dnatRules(chains.output, true)],
    [chains.postrouting, [
      // The host's connections to 127.0.0.1 DNATed into a bridge: the
      // container must answer the bridge's address, not its own loopback.
      rule(chains.postrouting).match(ip.saddr.in('127.0.0.0/8'), meta.oifname.in(sets.bridges)).masquerade().build(),
      rule(chains.postrouting).vmap(ip.saddr.vmap(maps.natSrc4)).build(),
      rule(chains.postrouting).vmap(ip6.saddr.vmap(maps.natSrc6)).build(),
    ]],
    [chains.forward, [
      rule(chains.forward).match(ct.state.in(['established', 'related'])).accept().build(),
      // From a network first: an internal network's verdict must come before
      // the destination network accepts a published port.
      rule(chains.forward).vmap(meta.iifname.vmap(maps.fromBridge)).build(),
      rule(chains.forward).vmap(meta.oifname.vmap(maps.toBridge)).build(),
    ]],
  ]);
}

export interface BaseOptions {
  /** Mark the table owner + persist (see claimTable); false where the kernel lacks persist. Default true. */
  owned?: boolean;
  /**
   * The ruleset as it is now: base chains that already hold exactly their rules
   * are left alone, one that holds anything else is flushed and refilled.
   * Without it, the base rules are added unconditionally (for a table that
   * does not exist yet).
   */
  current?: Ruleset;
}

/**
 * The table, base chains, maps and fixed rules. 'add' semantics for the
 * table, chains and maps. Note: a flush (only emitted for a base chain found
 * wrong in `current`) is not restored by a plan's undo; claimTable applies
 * baseChanges on its own, where the batch is all or nothing anyway.
 */
export function baseChanges(opts: BaseOptions = {}): Change[] {
  const tx = new Transaction(undefined).addTable(firewallTable(opts.owned ?? true));
  for (const c of Object.values(chains)) tx.addChain(c);
  for (const m of [...Object.values(sets), ...Object.values(maps)]) tx.addSet(m);
  for (const [c, rules] of baseRules()) {
    const have = opts.current?.rules.filter((r) => r.family === 'inet' && r.table === FIREWALL_TABLE && r.chain === c.name) ?? [];
    const same = have.length === rules.length && have.every((r, i) => renderRule(r) === renderRule(rules[i]!));
    if (same) continue;
    if (have.length > 0) tx.flushChain(c);
    for (const r of rules) tx.addRule(r);
  }
  return tx.changes;
}
