// A rule in nft syntax, for logs and error messages: the kernel's expressions
// read back into "ip daddr 10.0.0.0/8 oifname != "br0" counter ... masquerade".
// Works on what the builder produced and on what was read from the kernel,
// since both are the same model. Protocol matches that only serve as a
// field's dependency are left out, as nft leaves them out.
import { format, type DataTypeName } from './datatypes.js';
import { ALL_FIELDS, type Dep, type Field } from './fields.js';
import type { Expr, Rule, UnknownExpr } from '../addon/wire/nft.js';

type Reg =
  | { kind: 'field'; field: Field<DataTypeName>; name: string }
  | { kind: 'masked'; field: Field<DataTypeName>; name: string; mask: Uint8Array }
  | { kind: 'bytes'; data: Uint8Array }
  | { kind: 'text'; text: string; types?: DataTypeName[] };

interface Token {
  text: string;
  dep?: Dep;
}

const OPS = { eq: '', neq: '!= ', lt: '< ', lte: '<= ', gt: '> ', gte: '>= ' } as const;

function sameLoad(a: Expr, b: Expr): boolean {
  const strip = (e: Expr) => JSON.stringify(Object.entries({ ...e, dreg: 0 }).sort(([x], [y]) => (x < y ? -1 : 1)));
  return strip(a) === strip(b);
}

function prefixLength(mask: Uint8Array): number | undefined {
  let n = 0;
  let ended = false;
  for (const byte of mask)
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set && ended) return undefined;
      if (set) n++;
      else ended = true;
    }
  return n;
}

const FLAG_TEXT: [number, string][] = [[4, 'random'], [16, 'fully-random'], [8, 'persistent']];

export function renderExprs(exprs: readonly (Expr | UnknownExpr)[], family = 'inet'): string {
  const regs = new Map<number, Reg>();
  const out: Token[] = [];
  let l4: 'tcp' | 'udp' | 'sctp' | undefined;
  let loads: Reg[] = [];

  const fieldFor = (e: Expr): Reg | undefined => {
    for (const f of ALL_FIELDS) {
      if (!sameLoad(f.load(0), e)) continue;
      let name = f.name;
      const transport = /^(tcp|udp|sctp|th) /.test(name);
      if (transport) name = name.replace(/^\w+/, l4 ?? 'th');
      // The protocol match before a field it serves is implied by the field.
      const implied: Dep[] = [...f.deps.filter((d) => d === 'ipv4' || d === 'ipv6'), ...(transport && l4 ? [l4] : [])];
      for (const d of implied) {
        const i = out.map((t) => t.dep).lastIndexOf(d);
        if (i >= 0) out.splice(i, 1);
      }
      return { kind: 'field', field: f, name };
    }
    return undefined;
  };
  const text = (r: Reg | undefined): string =>
    !r ? '?' : r.kind === 'field' || r.kind === 'masked' ? r.name : r.kind === 'text' ? r.text : Buffer.from(r.data).toString('hex');

  for (const e of exprs) {
    if ('unknown' in e) {
      out.push({ text: `<${e.type}>` });
      continue;
    }
    switch (e.type) {
      case 'payload':
      case 'meta':
      case 'ct':
      case 'fib': {
        if (e.type === 'meta' && e.sreg !== undefined) {
          const v = regs.get(e.sreg);
          out.push({ text: `meta ${e.key} set ${v?.kind === 'bytes' ? format(e.key === 'mark' ? 'mark' : 'integer', v.data) : text(v)}` });
          break;
        }
        if (e.type === 'ct' && e.sreg !== undefined) {
          out.push({ text: `ct ${e.key} set ${text(regs.get(e.sreg))}` });
          break;
        }
        const r = fieldFor(e) ?? { kind: 'text' as const, text: `${e.type} ${JSON.stringify({ ...e, type: undefined })}` };
        if (e.dreg === 1) loads = [];
        loads.push(r);
        if (e.dreg !== undefined) regs.set(e.dreg, r);
        break;
      }
      case 'bitwise': {
        const src = regs.get(e.sreg);
        if (src?.kind === 'field' && e.mask) regs.set(e.dreg, { kind: 'masked', field: src.field, name: src.name, mask: e.mask });
        else regs.set(e.dreg, { kind: 'text', text: `${text(src)} & ${e.mask ? Buffer.from(e.mask).toString('hex') : '?'}` });
        break;
      }
      case 'cmp': {
        const src = regs.get(e.sreg);
        if (src?.kind === 'masked') {
          const t = src.field.type;
          if (t === 'ct_state' || t === 'ct_status') {
            out.push({ text: `${src.name} ${e.op === 'eq' ? '!= ' : ''}${format(t, src.mask)}` });
          } else {
            out.push({ text: `${src.name} ${OPS[e.op]}${format(t, e.data)}/${prefixLength(src.mask) ?? '?'}` });
          }
        } else if (src?.kind === 'field') {
          const t = src.field.type;
          const tok: Token = { text: `${src.name} ${OPS[e.op]}${format(t, e.data)}` };
          if (e.op === 'eq' && src.name === 'meta nfproto') tok.dep = e.data[0] === 2 ? 'ipv4' : 'ipv6';
          if (e.op === 'eq' && src.name === 'meta protocol') tok.dep = format('ether_type', e.data) === 'ip' ? 'ipv4' : 'ipv6';
          if (e.op === 'eq' && (src.name === 'meta l4proto' || src.name === 'ip protocol' || src.name === 'ip6 nexthdr')) {
            const p = format('inet_proto', e.data);
            if (p === 'tcp' || p === 'udp' || p === 'sctp') {
              tok.dep = p;
              l4 = p;
            }
          }
          out.push(tok);
        } else {
          out.push({ text: `${text(src)} ${OPS[e.op]}0x${Buffer.from(e.data).toString('hex')}` });
        }
        break;
      }
      case 'range': {
        const src = regs.get(e.sreg);
        const t = src?.kind === 'field' ? src.field.type : 'integer';
        out.push({ text: `${text(src)} ${e.op === 'neq' ? '!= ' : ''}${format(t, e.from)}-${format(t, e.to)}` });
        break;
      }
      case 'lookup': {
        const key = (loads.length ? loads : [regs.get(e.sreg)]).map(text).join(' . ');
        if (e.dreg === 0) out.push({ text: `${key} vmap @${e.set}` });
        else if (e.dreg !== undefined) regs.set(e.dreg, { kind: 'text', text: `${key} map @${e.set}` });
        else out.push({ text: `${key} ${e.flags & 1 ? '!= ' : ''}@${e.set}` });
        loads = [];
        break;
      }
      case 'immediate': {
        if (e.dreg === 0 && 'verdict' in e.data) out.push({ text: e.data.chain ? `${e.data.verdict} ${e.data.chain}` : e.data.verdict });
        else if (!('verdict' in e.data)) regs.set(e.dreg, { kind: 'bytes', data: e.data });
        break;
      }
      case 'counter':
        out.push({ text: `counter packets ${e.packets} bytes ${e.bytes}` });
        break;
      case 'notrack':
        out.push({ text: 'notrack' });
        break;
      case 'nat': {
        const addr = e.regAddrMin !== undefined ? regs.get(e.regAddrMin) : undefined;
        const port = e.regProtoMin !== undefined ? regs.get(e.regProtoMin) : undefined;
        let to: string;
        if (addr?.kind === 'bytes') {
          const a = format(e.family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr', addr.data);
          const p = port?.kind === 'bytes' ? `:${format('inet_service', port.data)}` : '';
          to = e.family === 'ip6' && p ? `[${a}]${p}` : a + p;
        } else {
          to = text(addr);
        }
        const fam = family === 'inet' ? ` ${e.family}` : '';
        out.push({ text: `${e.natType}${fam} to ${to}` });
        break;
      }
      case 'masq':
      case 'redir': {
        let s = e.type === 'masq' ? 'masquerade' : 'redirect';
        const min = e.regProtoMin !== undefined ? regs.get(e.regProtoMin) : undefined;
        const max = e.regProtoMax !== undefined && e.regProtoMax !== e.regProtoMin ? regs.get(e.regProtoMax) : undefined;
        if (min?.kind === 'bytes') s += ` to :${format('inet_service', min.data)}${max?.kind === 'bytes' ? '-' + format('inet_service', max.data) : ''}`;
        const flags = FLAG_TEXT.filter(([bit]) => (e.flags ?? 0) & bit).map(([, t]) => t);
        if (flags.length) s += ' ' + flags.join(',');
        out.push({ text: s });
        break;
      }
    }
  }
  return out.map((t) => t.text).join(' ');
}

/** The rule in nft syntax (without table and chain), with its comment. */
export function renderRule(r: Pick<Rule, 'exprs' | 'comment' | 'family'>): string {
  const body = renderExprs(r.exprs, r.family);
  return r.comment !== undefined ? `${body} comment ${JSON.stringify(r.comment)}` : body;
}
