// What the responder does with one query, whatever it came over: answer it
// from the network's names (A/AAAA by name, PTR by reverse name), answer an
// error, or hand it on to the upstreams. Like Docker's embedded DNS, the PTR
// of a sandbox's address is "<sandbox name>.<network name>." (libnetwork's
// Network.ResolveIP), and reverse names of other addresses are forwarded.
import type { NameTable } from './names.js';
import { addressFromReverseName } from './reverse.js';
import {
  buildErrorForId,
  buildResponse,
  DnsFormatError,
  Opcode,
  parseQuery,
  Rcode,
  RRClass,
  RRType,
  type Answer,
  type DnsMessage,
  type RcodeValue,
} from './wire.js';

export interface LocalContext {
  names: NameTable;
  ttl: number;
  /** The network's name: PTR answers are "<name>.<domain>"; without it, the name alone. */
  domain?: string;
  /** false on internal networks: unknown names get NXDOMAIN. */
  forward: boolean;
  hasUpstreams: boolean;
}

export type Decision = { reply: Buffer } | { forward: DnsMessage } | { drop: true };

/** Decides on a raw query. Unreadable messages without an id are dropped: there is no one to answer. */
export function decide(raw: Uint8Array, ctx: LocalContext): Decision {
  let query: DnsMessage;
  try {
    query = parseQuery(raw);
  } catch (e) {
    if (e instanceof DnsFormatError && e.id !== undefined) return { reply: buildErrorForId(e.id, Rcode.FORMERR) };
    return { drop: true };
  }
  const reply = (rcode: RcodeValue, answers: Answer[] = [], authoritative = false): Decision => {
    try {
      return { reply: buildResponse(query, { rcode, answers, authoritative }) };
    } catch {
      // An answer that cannot be written (a PTR target over 255 bytes) is our failure, not the client's.
      return { reply: buildResponse(query, { rcode: Rcode.SERVFAIL }) };
    }
  };
  if (query.header.opcode !== Opcode.QUERY) return reply(Rcode.NOTIMP);
  const q = query.questions[0];
  if (query.questions.length !== 1 || !q) return reply(Rcode.FORMERR);

  if (q.class === RRClass.IN) {
    const known = ctx.names.lookup(q.name);
    if (known) {
      const list = q.type === RRType.A ? known.v4 : q.type === RRType.AAAA ? known.v6 : [];
      // A known name without addresses of the asked family is NODATA (NOERROR, no answer), never NXDOMAIN.
      return reply(Rcode.NOERROR, list.map((address) => ({ address, ttl: ctx.ttl })), true);
    }
    const address = addressFromReverseName(q.name);
    const owner = address === undefined ? undefined : ctx.names.nameFor(address);
    if (owner !== undefined) {
      const ptr = ctx.domain ? `${owner}.${ctx.domain}` : owner;
      return reply(Rcode.NOERROR, q.type === RRType.PTR ? [{ ptr, ttl: ctx.ttl }] : [], true);
    }
  }
  if (!ctx.forward) return reply(Rcode.NXDOMAIN);
  if (!ctx.hasUpstreams) return reply(Rcode.SERVFAIL);
  return { forward: query };
}
