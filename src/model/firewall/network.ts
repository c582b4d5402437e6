// What one network adds: three chains named after its bridge, one map
// element per chain (per subnet for nat) and its bridge in @bridges, so that
// removing the network is deleting those elements and chains by name, never
// a rule by handle.
import { ValidationError } from '../../core/errors.js';
import { Transaction, ct, ip, meta, rule, type Change, type Element, type Rule } from '../../nft/index.js';
import { cidr } from '../../core/validate.js';
import { checkNetwork, type FirewallNetwork } from './inputs.js';
import { maps, networkChains, sets } from './layout.js';

/** The rules of each of the network's chains. */
function networkRules(n: FirewallNetwork): { from: Rule[]; to: Rule[]; nat: Rule[] } {
  const c = networkChains(n.bridge);
  const from: Rule[] = [];
  const to: Rule[] = [];
  const nat: Rule[] = [];
  const ov = n.overlay;
  // Internal: nothing leaves the bridge (an overlay's: but into its VXLAN
  // device). Verdicts here come before the destination network's chain, so
  // even a published port elsewhere is out of reach.
  if (n.internal) from.push(rule(c.from).match(meta.oifname.neq(n.bridge), ...(ov ? [meta.oifname.neq(ov.device)] : [])).drop().build());
  // Into the bridge: published ports (DNATed: from outside, from the host,
  // from other networks, hairpin), then the bridge's own containers if icc,
  // nothing else (established/related replies were accepted in forward).
  if (!n.internal) to.push(rule(c.to).match(ct.status.in(['dnat'])).accept().build());
  if (n.icc) to.push(rule(c.to).match(meta.iifname.eq(n.bridge)).accept().build());
  // The network's sandboxes on other hosts, out of its own VXLAN device (another overlay's device is another network).
  if (ov) to.push(rule(c.to).match(meta.iifname.eq(ov.device)).accept().build());
  to.push(rule(c.to).drop().build());
  if (!n.internal) {
    // An overlay's traffic to the cluster CIDR keeps its source: only what leaves the cluster is masqueraded.
    const beyond = ov ? [ip.daddr.notIn(ov.clusterSubnet)] : [];
    if (n.masquerade) nat.push(rule(c.nat).match(...beyond, meta.oifname.neq(n.bridge)).masquerade().build());
    // Hairpin: a container that reached a published port on its own bridge
    // through the host address must see the reply come from the host side.
    nat.push(rule(c.nat).match(meta.oifname.eq(n.bridge), ct.status.in(['dnat'])).masquerade().build());
  }
  return { from, to, nat };
}

function subnetElements(n: FirewallNetwork, withVerdict: boolean) {
  const chain = networkChains(n.bridge).nat.name;
  const v4: Element[] = [];
  const v6: Element[] = [];
  const comment = withVerdict && n.comment !== undefined ? { comment: n.comment } : {};
  for (const s of n.subnets) {
    const { family } = cidr(s, 'subnets');
    const m = family === 4 ? maps.natSrc4 : maps.natSrc6;
    const els = m.prefix(s, withVerdict ? { data: { verdict: 'jump', chain }, ...comment } : {});
    (family === 4 ? v4 : v6).push(...els);
  }
  return { v4, v6 };
}

function checkSubnets(n: FirewallNetwork): void {
  const seen = new Set<string>();
  for (const s of n.subnets) {
    if (seen.has(s)) throw new ValidationError('subnets', `subnet ${s} is listed twice`);
    seen.add(s);
  }
}

/**
 * Everything one network adds. Chains are created (not added), so building a
 * network twice fails with AlreadyExistsError instead of doubling its rules.
 */
export function networkChanges(n: FirewallNetwork): Change[] {
  checkNetwork(n);
  checkSubnets(n);
  const c = networkChains(n.bridge);
  const r = networkRules(n);
  const note = n.comment !== undefined ? { comment: n.comment } : {};
  const tx = new Transaction(undefined).createChain({ ...c.from, ...note }).createChain({ ...c.to, ...note }).createChain({ ...c.nat, ...note });
  for (const x of [...r.from, ...r.to, ...r.nat]) tx.addRule(x);
  const { v4, v6 } = subnetElements(n, true);
  // An overlay's VXLAN device leads to and from the same chains as its bridge.
  const ports = [n.bridge, ...(n.overlay ? [n.overlay.device] : [])];
  return tx
    .createElements(sets.bridges, [sets.bridges.element(n.bridge, note)])
    .createElements(maps.fromBridge, ports.map((p) => maps.fromBridge.entry(p, { verdict: 'jump', chain: c.from.name }, note)))
    .createElements(maps.toBridge, ports.map((p) => maps.toBridge.entry(p, { verdict: 'jump', chain: c.to.name }, note)))
    .createElements(maps.natSrc4, v4)
    .createElements(maps.natSrc6, v6)
    .changes;
}

/**
 * The exact inverse of networkChanges: the map elements that jump to the
 * network's chains, then the chains (the kernel deletes their rules with them).
 * In a plan, put it where nothing after it can fail: a plan's undo re-adds
 * deleted elements but cannot bring back deleted chains.
 */
export function removeNetworkChanges(n: FirewallNetwork): Change[] {
  checkNetwork(n);
  const c = networkChains(n.bridge);
  const { v4, v6 } = subnetElements(n, false);
  const ports = [n.bridge, ...(n.overlay ? [n.overlay.device] : [])];
  return new Transaction(undefined)
    .deleteElements(sets.bridges, [sets.bridges.element(n.bridge)])
    .deleteElements(maps.fromBridge, ports.map((p) => maps.fromBridge.element(p)))
    .deleteElements(maps.toBridge, ports.map((p) => maps.toBridge.element(p)))
    .deleteElements(maps.natSrc4, v4)
    .deleteElements(maps.natSrc6, v6)
    .deleteChain(c.from).deleteChain(c.to).deleteChain(c.nat)
    .changes;
}
