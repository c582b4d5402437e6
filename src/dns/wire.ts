// DNS messages on the wire (RFC 1035 section 4): enough to read a query,
// answer it with A/AAAA/PTR or an error code, and read an upstream answer's
// header and question to pass it back by id.
import { isIP } from 'node:net';
import { DnsFormatError } from '../core/errors.js';

export { DnsFormatError };
import { formatAddress, parseAddress } from '../addressing/ipnet.js';

export const RRType = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, OPT: 41, ANY: 255 } as const;
export const RRClass = { IN: 1 } as const;
export const Opcode = { QUERY: 0 } as const;
export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type RcodeValue = (typeof Rcode)[keyof typeof Rcode];


export interface DnsHeader {
  id: number;
  /** true in responses. */
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export interface DnsQuestion {
  /** As sent (case kept, for the echo in the answer), without the trailing dot; "" is the root. */
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: Buffer;
}

export interface DnsMessage {
  header: DnsHeader;
  questions: DnsQuestion[];
  /** Present when parsed with `withAnswers`. */
  answers: DnsRecord[];
}

export const HEADER_LENGTH = 12;
const MAX_POINTER_HOPS = 64;

export function parseHeader(buf: Uint8Array): DnsHeader {
  if (buf.length < HEADER_LENGTH) throw new DnsFormatError(`a DNS message needs 12 header bytes, got ${buf.length}`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const flags = b.readUInt16BE(2);
  return {
    id: b.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    qdcount: b.readUInt16BE(4),
    ancount: b.readUInt16BE(6),
    nscount: b.readUInt16BE(8),
    arcount: b.readUInt16BE(10),
  };
}

/** Reads a possibly compressed name at `offset`; returns it and the offset just after it in the message. */
export function readName(buf: Buffer, offset: number, id?: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  let total = 0;
  for (let hops = 0; ; ) {
    if (pos >= buf.length) throw new DnsFormatError('a name runs past the end of the message', id);
    const len = buf[pos] as number;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsFormatError('a compression pointer is cut short', id);
      if (++hops > MAX_POINTER_HOPS) throw new DnsFormatError('compression pointers loop', id);
      if (next < 0) next = pos + 2;
      const target = ((len & 0x3f) << 8) | (buf[pos + 1] as number);
      // Pointers must go backwards (RFC 1035 4.1.4 points at a prior occurrence); this also stops loops early.
      if (target >= pos) throw new DnsFormatError('a compression pointer does not point backwards', id);
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError(`unsupported label type 0x${len.toString(16)}`, id);
    if (pos + 1 + len > buf.length) throw new DnsFormatError('a label runs past the end of the message', id);
    total += len + 1;
    if (total > 255) throw new DnsFormatError('a name is longer than 255 bytes', id);
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { name: labels.join('.'), next };
}

/** Encodes a name without compression ("example.com" or "example.com."). */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const parts: Buffer[] = [];
  if (trimmed !== '') {
    for (const label of trimmed.split('.')) {
      const bytes = Buffer.from(label, 'latin1');
      if (bytes.length === 0 || bytes.length > 63)
        throw new DnsFormatError(`label '${label}' of '${name}' must be 1-63 bytes`);
      parts.push(Buffer.of(bytes.length), bytes);
    }
  }
  parts.push(Buffer.of(0));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new DnsFormatError(`name '${name}' is longer than 255 bytes`);
  return out;
}

function readQuestions(buf: Buffer, header: DnsHeader, start: number): { questions: DnsQuestion[]; next: number } {
  const questions: DnsQuestion[] = [];
  let pos = start;
  for (let i = 0; i < header.qdcount; i++) {
    const { name, next } = readName(buf, pos, header.id);
    if (next + 4 > buf.length) throw new DnsFormatError('a question is cut short', header.id);
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  return { questions, next: pos };
}

/** Parses header and questions; with `withAnswers` also the answer section (rdata kept raw). */
export function parseMessage(input: Uint8Array, withAnswers = false): DnsMessage {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const header = parseHeader(buf);
  const { questions, next } = readQuestions(buf, header, HEADER_LENGTH);
  const answers: DnsRecord[] = [];
  if (withAnswers) {
    let pos = next;
    for (let i = 0; i < header.ancount; i++) {
      const { name, next: after } = readName(buf, pos, header.id);
      if (after + 10 > buf.length) throw new DnsFormatError('a record is cut short', header.id);
      const rdlength = buf.readUInt16BE(after + 8);
      if (after + 10 + rdlength > buf.length) throw new DnsFormatError('record data runs past the end', header.id);
      answers.push({
        name,
        type: buf.readUInt16BE(after),
        class: buf.readUInt16BE(after + 2),
        ttl: buf.readUInt32BE(after + 4),
        data: Buffer.from(buf.subarray(after + 10, after + 10 + rdlength)),
      });
      pos = after + 10 + rdlength;
    }
  }
  return { header, questions, answers };
}

/** Parses a query: a non-response with at least a readable header and questions. */
export function parseQuery(input: Uint8Array): DnsMessage {
  const msg = parseMessage(input);
  if (msg.header.qr) throw new DnsFormatError('the message is a response, not a query', msg.header.id);
  return msg;
}

/** Parses an upstream answer enough to route it back: header, question and answers. */
export function parseResponse(input: Uint8Array): DnsMessage {
  const msg = parseMessage(input, true);
  if (!msg.header.qr) throw new DnsFormatError('the message is a query, not a response', msg.header.id);
  return msg;
}

export interface AddressAnswer {
  /** An IPv4 address for A, IPv6 for AAAA. */
  address: string;
  ttl: number;
}

/** A PTR record: the name an address (in the question's reverse name) belongs to. */
export interface PtrAnswer {
  ptr: string;
  ttl: number;
}

export type Answer = AddressAnswer | PtrAnswer;

export interface ResponseOptions {
  rcode?: RcodeValue;
  answers?: Answer[];
  /** Authoritative answer (names we own). */
  authoritative?: boolean;
}

function addressData(address: string): { type: number; data: Buffer } {
  const family = isIP(address);
  const a = parseAddress(address);
  const data = Buffer.alloc(family === 4 ? 4 : 16);
  let v = a.value;
  for (let i = data.length - 1; i >= 0; i--) {
    data[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return { type: family === 4 ? RRType.A : RRType.AAAA, data };
}

function answerData(ans: Answer): { type: number; data: Buffer } {
  return 'ptr' in ans ? { type: RRType.PTR, data: encodeName(ans.ptr) } : addressData(ans.address);
}

/**
 * Builds the response to `query`: same id, opcode, RD and question; RA set;
 * answers point at the question's name (compression pointer to offset 12).
 */
export function buildResponse(query: DnsMessage, opts: ResponseOptions = {}): Buffer {
  const q = query.questions[0];
  const answers = q ? (opts.answers ?? []) : [];
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(query.header.id, 0);
  let flags = 0x8000 | (query.header.opcode << 11) | 0x0080 | (opts.rcode ?? Rcode.NOERROR);
  if (opts.authoritative) flags |= 0x0400;
  if (query.header.rd) flags |= 0x0100;
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(q ? 1 : 0, 4);
  header.writeUInt16BE(answers.length, 6);
  const parts: Buffer[] = [header];
  if (q) {
    const qtail = Buffer.alloc(4);
    qtail.writeUInt16BE(q.type, 0);
    qtail.writeUInt16BE(q.class, 2);
    parts.push(encodeName(q.name), qtail);
  }
  for (const ans of answers) {
    const { type, data } = answerData(ans);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc000 | HEADER_LENGTH, 0);
    rr.writeUInt16BE(type, 2);
    rr.writeUInt16BE(RRClass.IN, 4);
    rr.writeUInt32BE(ans.ttl >>> 0, 6);
    rr.writeUInt16BE(data.length, 10);
    parts.push(rr, data);
  }
  return Buffer.concat(parts);
}

/** A bare error response for a query that could not be parsed past its header. */
export function buildErrorForId(id: number, rcode: RcodeValue, opcode = 0): Buffer {
  const b = Buffer.alloc(HEADER_LENGTH);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(0x8000 | ((opcode & 0xf) << 11) | 0x0080 | rcode, 2);
  return b;
}

/** Builds a query (for tests and health checks). */
export function buildQuery(id: number, name: string, type: number, rd = true): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(rd ? 0x0100 : 0, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(RRClass.IN, 2);
  return Buffer.concat([header, encodeName(name), tail]);
}

/** A copy of the message with another id (forwarding rewrites ids both ways). */
export function withId(message: Uint8Array, id: number): Buffer {
  const copy = Buffer.from(message);
  copy.writeUInt16BE(id, 0);
  return copy;
}

/** Formats A/AAAA rdata as an address (for reading answers in tests and logs). */
export function addressFromData(data: Uint8Array): string {
  if (data.length === 4) return Array.from(data).join('.');
  if (data.length !== 16) throw new DnsFormatError(`address data must be 4 or 16 bytes, got ${data.length}`);
  let v = 0n;
  for (const byte of data) v = (v << 8n) | BigInt(byte);
  return formatAddress({ family: 6, value: v });
}

/** Reads PTR (or CNAME, NS) rdata written without compression, as ours is (for tests and logs). */
export function nameFromData(data: Uint8Array): string {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const { name, next } = readName(buf, 0);
  if (next !== buf.length) throw new DnsFormatError('name data has bytes after the name');
  return name;
}
