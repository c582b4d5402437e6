// nf_tables over netlink: what the library writes is read back identically
// by the library and, as an independent witness, by nft itself.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, NetlinkError, ValidationError, nft, Nftables, nftEvents, renderRule, type NftEvent } from '../../../src/index.js';
import { assertSandbox, nftJson } from '../support/witness.js';

const { table, chain, rule, nftSet, nftMap, ip, ip6, tcp, udp, th, meta, ct, fib, isStaleGeneration } = nft;

const NS = 'np-nft';
let ns: Netns;
let nf: Nftables;

function nftText(...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', NS, 'nft', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// The rule lines of a chain as nft prints them (without the handle comment).
function nftRules(family: string, tableName: string, chainName: string): string[] {
  const text = nftText('list', 'chain', family, tableName, chainName);
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(table|chain|type|}|policy)/.test(l) && !l.startsWith('type '));
}

beforeAll(async () => {
  assertSandbox();
  ns = await Netns.create({ name: NS });
  nf = new Nftables(ns);
});
afterAll(async () => {
  await ns?.delete();
});

const t = table('inet', 'np', { comment: 'netplumb test' });
const pre = chain(t, 'prerouting', { type: 'nat', hook: 'prerouting', priority: 'dstnat', policy: 'accept' });
const post = chain(t, 'postrouting', { type: 'nat', hook: 'postrouting', priority: 'srcnat' });
const fwd = chain(t, 'forward', { type: 'filter', hook: 'forward', priority: 0, policy: 'drop' });
const isolation = chain(t, 'isolation');
const ports = nftMap(t, 'ports', { key: ['ipv4_addr', 'inet_proto', 'inet_service'], data: ['ipv4_addr', 'inet_service'], comment: 'published' });
const svc = nftMap(t, 'svc', { key: ['inet_proto', 'inet_service'], data: ['ipv4_addr', 'inet_service'] });
const blocked = nftSet(t, 'blocked', { key: ['ipv4_addr'] });
const nets = nftSet(t, 'nets', { key: ['ipv4_addr'], flags: ['interval'] });
const verdicts = nftMap(t, 'bridges', { key: ['ifname'], data: 'verdict' });
const marks = nftSet(t, 'marks', { key: ['mark'] });
const v6 = nftSet(t, 'v6', { key: ['ipv6_addr', 'inet_service'] });

const rules = [
  rule(post).match(ip.saddr.in('172.17.0.0/16')).match(meta.oifname.neq('br0')).counter().masquerade(),
  rule(pre).match(fib.daddr.type.eq('local')).dnat(ip.daddr.concat(meta.l4proto).concat(th.dport).map(ports)),
  rule(pre).match(fib.daddr.type.eq('local')).dnat(meta.l4proto.concat(th.dport).map(svc)),
  rule(pre).match(ip.daddr.eq('10.9.0.1'), tcp.dport.eq(80)).dnat({ address: '172.17.0.2', port: 8080 }).comment('one port'),
  rule(pre).match(tcp.dport.range(1000, 2000)).redirect(3128),
  rule(post).match(ip6.saddr.in('fd00::/64')).masquerade({ fullyRandom: true }),
  rule(post).match(ip.daddr.eq('10.0.0.1')).snat({ address: '192.168.1.1' }),
  rule(fwd).match(ct.state.in(['established', 'related'])).accept(),
  rule(fwd).match(ip.saddr.notIn(blocked)).match(udp.dport.neq(53)).jump(isolation),
  rule(fwd).match(meta.iifname.eq('br-*')).vmap(meta.oifname.vmap(verdicts)),
  rule(fwd).match(meta.mark.eq(42)).setMark(7).counter().accept(),
  rule(fwd).match(ip.daddr.in(nets)).drop(),
  rule(fwd).match(ip6.daddr.concat(tcp.dport).in(v6)).accept(),
  rule(fwd).match(meta.l4proto.eq('icmp'), ct.mark.eq(5)).return(),
  rule(isolation).match(meta.iifname.eq('br0'), meta.oifname.eq('br1')).drop(),
  rule(isolation).match(tcp.sport.gt(1024)).goto(isolation.name === 'isolation' ? 'isolation2' : ''),
].map((r) => r.build());
const isolation2 = chain(t, 'isolation2');

describe('nf_tables over netlink', () => {
  it('applies a ruleset in one batch and reads it back identically, by the library and by nft', async () => {
    const tx = nf.transaction()
      .addTable(t)
      .addChain(pre).addChain(post).addChain(fwd).addChain(isolation).addChain(isolation2)
      .addSet(ports).addSet(svc).addSet(blocked).addSet(nets).addSet(verdicts).addSet(marks).addSet(v6)
      .addElements(ports, [
        ports.entry(['10.9.0.1', 'tcp', 8080], ['172.17.0.2', 80], { comment: 'web' }),
        ports.entry(['10.9.0.1', 'udp', 5353], ['172.17.0.3', 53]),
      ])
      .addElements(svc, [svc.entry(['tcp', 2222], ['172.17.0.4', 22])])
      .addElements(blocked, [blocked.element('192.0.2.1'), blocked.element('192.0.2.2')])
      .addElements(verdicts, [verdicts.entry('br1', { verdict: 'jump', chain: 'isolation' }), verdicts.entry('br2', { verdict: 'drop' })])
      .addElements(marks, [marks.element(1)])
      .addElements(v6, [v6.element(['fd00::1', 443])]);
    for (const r of rules) tx.addRule(r);
    const res = await tx.commit();
    const ruleHandles = res.handles.slice(-rules.length);
    expect(ruleHandles.every((h) => typeof h === 'number')).toBe(true);

    const back = await nf.list({ table: 'np' });
    expect(back.tables).toEqual([expect.objectContaining({ family: 'inet', name: 'np', comment: 'netplumb test', flags: [] })]);
    expect(back.chains.map((c) => c.name).sort()).toEqual(['forward', 'isolation', 'isolation2', 'postrouting', 'prerouting']);
    expect(back.chains.find((c) => c.name === 'prerouting')).toMatchObject({ type: 'nat', hook: 'prerouting', priority: -100, policy: 'accept' });
    // Every rule's expressions as they were built.
    for (const [i, r] of rules.entries()) {
      const got = back.rules.find((x) => x.handle === ruleHandles[i]);
      expect(got, renderRule(r)).toBeDefined();
      expect({ ...got, handle: undefined }).toEqual({ ...r, handle: undefined });
    }
    const portsBack = back.sets.find((s) => s.name === 'ports')!;
    expect({ ...portsBack, handle: undefined, elements: undefined }).toEqual({ ...ports.spec, handle: undefined, elements: undefined });
    expect(portsBack.elements.map((e) => nft.formatTuple(['ipv4_addr', 'inet_proto', 'inet_service'], e.key))).toEqual(
      expect.arrayContaining(['10.9.0.1 . tcp . 8080', '10.9.0.1 . udp . 5353']),
    );
    expect(portsBack.elements.find((e) => e.comment === 'web')).toBeDefined();

    // The witness: nft prints each rule as renderRule does.
    for (const c of [pre, post, fwd, isolation]) {
      const mine = rules.filter((r) => r.chain === c.name).map((r) => renderRule(r));
      expect(nftRules('inet', 'np', c.name)).toEqual(mine);
    }
    // ... and the sets with the types nft knows them by.
    const text = nftText('list', 'table', 'inet', 'np');
    expect(text).toContain('type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service');
    expect(text).toMatch(/10\.9\.0\.1 \. tcp \. 8080 comment "web" : 172\.17\.0\.2 \. 80/);
    expect(text).toContain('type inet_proto . inet_service : ipv4_addr . inet_service');
    expect(text).toContain('type ifname : verdict');
    expect(text).toMatch(/"br1" : jump isolation/);
    expect(text).toContain('type ipv6_addr . inet_service');
    expect(text).toContain('fd00::1 . 443');
    expect(text).toContain('type mark');
    expect(text).toContain('elements = { 0x00000001 }');
    const json = nftJson(NS, 'list', 'table', 'inet', 'np').nftables;
    const sets = json.filter((o) => 'map' in o || 'set' in o).map((o) => (o.map ?? o.set) as { name: string; type: unknown });
    expect(sets.find((s) => s.name === 'blocked')!.type).toBe('ipv4_addr');
  });

  it('inserts, replaces and deletes rules by handle', async () => {
    const before = await nf.list({ table: 'np' });
    const iso = before.rules.filter((r) => r.chain === 'isolation');
    const first = iso[0]!;
    const ins = rule(isolation).match(ip.saddr.eq('192.0.2.9')).drop().comment('inserted').build();
    const rep = rule(isolation).match(ip.saddr.eq('192.0.2.10')).accept().build();
    const r = await nf.transaction().insertRule(ins, { before: first.handle }).replaceRule(iso[1]!.handle, rep).commit();
    const after = await nf.list({ table: 'np' });
    const names = after.rules.filter((x) => x.chain === 'isolation').map((x) => renderRule(x));
    expect(names).toEqual([renderRule(ins), renderRule(first), renderRule(rep)]);
    expect(nftRules('inet', 'np', 'isolation')).toEqual(names);
    await nf.transaction().deleteRule({ ...ins, handle: r.handles[0]! }).commit();
    expect((await nf.list({ table: 'np' })).rules.filter((x) => x.chain === 'isolation')).toHaveLength(2);
  });

  it('adds and deletes single elements; flushes sets and chains', async () => {
    const e = blocked.element('198.51.100.7', { comment: 'owner=ep9' });
    await nf.transaction().addElements(blocked, [e]).commit();
    expect(nftText('list', 'set', 'inet', 'np', 'blocked')).toContain('198.51.100.7 comment "owner=ep9"');
    await nf.transaction().deleteElements(blocked, [e]).commit();
    expect(nftText('list', 'set', 'inet', 'np', 'blocked')).not.toContain('198.51.100.7');
    await nf.transaction().flushSet(marks).flushChain(isolation2).commit();
    expect((await nf.list({ table: 'np' })).sets.find((s) => s.name === 'marks')!.elements).toEqual([]);
  });

  it('a batch with one bad element changes nothing, and the error names the element', async () => {
    const before = nftText('list', 'ruleset');
    const good = ports.entry(['10.9.0.2', 'tcp', 80], ['172.17.0.9', 80]);
    // The same key twice with create: the kernel refuses the second.
    const dup = ports.entry(['10.9.0.2', 'tcp', 80], ['172.17.0.9', 81]);
    const err = await nf.transaction()
      .addChain(chain(t, 'not-applied'))
      .createElements(ports, [good, ports.entry(['10.9.0.3', 'tcp', 80], ['172.17.0.9', 80]), dup])
      .commit()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect((err as NetlinkError).code).toBe('EEXIST');
    expect((err as NetlinkError).object).toContain('10.9.0.2 . tcp . 80');
    expect((err as NetlinkError).op).toBe('NFT_MSG_NEWSETELEM');
    expect(nftText('list', 'ruleset')).toBe(before);
  });

  it('rejects bad input before anything is sent', () => {
    expect(() => ip.daddr.eq('fd00::1')).toThrow(ValidationError);
    expect(() => tcp.dport.eq(70000)).toThrow(ValidationError);
    expect(() => rule(pre).match(ip.saddr.eq('10.0.0.1')).match(ip6.saddr.eq('fd00::1'))).toThrow(ValidationError);
    expect(() => rule(fwd).dnat({ address: '10.0.0.1' })).toThrow(/nat chain/);
    expect(() => rule(fwd).accept().drop()).toThrow(ValidationError);
    expect(() => ip.daddr.concat(tcp.dport).in(ports as never)).toThrow(/keyed by/);
    expect(() => ports.entry(['10.0.0.1', 'tcp'] as never, ['10.0.0.2', 80])).toThrow(ValidationError);
    // @ts-expect-error the map is keyed by address . protocol . port, not address . port
    expect(() => ip.daddr.concat(tcp.dport).map(ports)).toThrow(/keyed by/);
    // @ts-expect-error a verdict map gives no address to nat to
    expect(() => rule(pre).dnat(meta.oifname.map(verdicts))).toThrow();
    // @ts-expect-error a port is a number
    expect(() => tcp.dport.eq('80')).toThrow(ValidationError);
  });

  it('refuses a transaction prepared against a stale generation', async () => {
    const { genid } = await nf.list();
    // Another writer commits in between.
    nftText('add', 'element', 'inet', 'np', 'blocked', '{ 203.0.113.1 }');
    const err = await nf.transaction({ genid }).addElements(blocked, [blocked.element('203.0.113.2')]).commit().catch((e: unknown) => e);
    expect(isStaleGeneration(err), String(err)).toBe(true);
    expect(nftText('list', 'set', 'inet', 'np', 'blocked')).not.toContain('203.0.113.2');
    const fresh = await nf.genid();
    const ok = await nf.transaction({ genid: fresh }).addElements(blocked, [blocked.element('203.0.113.2')]).commit();
    expect(ok.genid).toBeGreaterThan(fresh);
  });

  it('with readBack: false applies the transaction and leaves out the generation after it', async () => {
    const before = await nf.genid();
    const change = nf.transaction().addElements(blocked, [blocked.element('203.0.113.9')]).changes;
    const [result] = (await ns.exec([nft.nftCalls.apply(change, { readBack: false })])) as [{ handles: unknown[]; genid?: number }];
    expect(result.genid).toBeUndefined();
    expect(result.handles).toHaveLength(1);
    expect(nftText('list', 'set', 'inet', 'np', 'blocked')).toContain('203.0.113.9');
    expect(await nf.genid()).toBeGreaterThan(before);
    const [again] = (await ns.exec([nft.nftCalls.apply(nf.transaction().deleteElements(blocked, [blocked.element('203.0.113.9')]).changes)])) as [{ genid?: number }];
    expect(again.genid).toBeGreaterThan(before);
  });

  it('undoes a committed transaction when a later call of the same plan fails', async () => {
    const before = nftText('list', 'ruleset');
    const tx = nf.transaction()
      .addChain(chain(t, 'temp'))
      .addRule(rule(chain(t, 'temp')).match(tcp.dport.eq(9)).drop().build())
      .addElements(blocked, [blocked.element('198.51.100.99')]);
    const plan = ns.plan();
    plan.add(tx.call());
    plan.add(nft.nftCalls.apply([{ op: 'delete', kind: 'table', family: 'inet', name: 'no-such-table' }]));
    await expect(plan.run()).rejects.toMatchObject({ planIndex: 1 });
    expect(nftText('list', 'ruleset')).toBe(before);
  });

  it('reports a flush of our table by someone else as events', async () => {
    const events = await nftEvents(ns);
    const seen: NftEvent[] = [];
    nftText('flush', 'chain', 'inet', 'np', 'forward');
    for await (const ev of events) {
      if (ev.type === 'overrun') continue;
      seen.push(ev);
      if (ev.type === 'gen') break;
    }
    events.close();
    const dels = seen.filter((e) => e.type === 'rule' && e.event === 'del');
    expect(dels.length).toBeGreaterThan(0);
    expect(dels.every((e) => e.type === 'rule' && e.rule.table === 'np')).toBe(true);
    expect(seen.at(-1)).toMatchObject({ type: 'gen', process: 'nft' });
  });

  it('owner tables belong to our socket: another process cannot delete them', async () => {
    const owned = table('ip', 'np_owned', { flags: ['owner', 'persist'] });
    await nf.transaction().addTable(owned).commit();
    const back = await nf.list({ table: 'np_owned' });
    expect(back.tables[0]!.flags).toEqual(['owner', 'persist']);
    expect(back.tables[0]!.owner).toBeGreaterThan(0);
    expect(() => nftText('delete', 'table', 'ip', 'np_owned')).toThrow();
    await nf.transaction().deleteTable(owned).commit();
    expect(nftText('list', 'tables')).not.toContain('np_owned');
  });

  it('deletes the table with everything in it', async () => {
    await nf.transaction().deleteTable(t).commit();
    expect(nftText('list', 'ruleset')).not.toContain('table inet np');
  });
});
