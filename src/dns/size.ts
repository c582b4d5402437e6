// How big an answer may be. Over UDP a client takes 512 bytes (RFC 1035
// 4.2.1) or the payload size it announces in an EDNS0 OPT record (RFC 6891
// 6.2.3); a bigger answer is cut to whole records with TC set, so the client
// asks again over TCP (RFC 7766 5), as Docker's embedded DNS does.
import { DnsFormatError, HEADER_LENGTH, parseHeader, readName, RRType } from './wire.js';

export const UDP_MIN_SIZE = 512;
const TC = 0x0200;

/** Offsets just past each record of the first `count` records from `start` (throws on a malformed message). */
function recordEnds(buf: Buffer, start: number, count: number): number[] {
  const ends: number[] = [];
  let pos = start;
  for (let i = 0; i < count; i++) {
    const { next } = readName(buf, pos);
    if (next + 10 > buf.length) throw new DnsFormatError('a record is cut short');
    pos = next + 10 + buf.readUInt16BE(next + 8);
    if (pos > buf.length) throw new DnsFormatError('record data runs past the end');
    ends.push(pos);
  }
  return ends;
}

function questionsEnd(buf: Buffer, qdcount: number): number {
  let pos = HEADER_LENGTH;
  for (let i = 0; i < qdcount; i++) {
    pos = readName(buf, pos).next + 4;
    if (pos > buf.length) throw new DnsFormatError('a question is cut short');
  }
  return pos;
}

/** The largest UDP answer the sender of `query` takes: its EDNS0 payload size, never below 512. */
export function udpLimit(query: Uint8Array): number {
  const buf = Buffer.from(query.buffer, query.byteOffset, query.byteLength);
  try {
    const h = parseHeader(buf);
    let pos = questionsEnd(buf, h.qdcount);
    const skipped = recordEnds(buf, pos, h.ancount + h.nscount);
    pos = skipped.length ? (skipped[skipped.length - 1] as number) : pos;
    for (let i = 0; i < h.arcount; i++) {
      const { next } = readName(buf, pos);
      if (next + 10 > buf.length) break;
      // OPT carries the payload size in its class field (RFC 6891 6.1.2).
      if (buf.readUInt16BE(next) === RRType.OPT) return Math.max(UDP_MIN_SIZE, buf.readUInt16BE(next + 2));
      pos = next + 10 + buf.readUInt16BE(next + 8);
    }
  } catch {
    // A query we cannot read to its end announces nothing.
  }
  return UDP_MIN_SIZE;
}

/**
 * `message` if it fits `limit`; else its header and question with as many
 * whole answer records as fit, no authority or additional records, and TC set.
 */
export function fitToSize(message: Buffer, limit: number): Buffer {
  if (message.length <= limit) return message;
  let keep = HEADER_LENGTH;
  let answers = 0;
  let questions = 0;
  try {
    const h = parseHeader(message);
    keep = questionsEnd(message, h.qdcount);
    questions = h.qdcount;
    // Records only point backwards (RFC 1035 4.1.4), so a prefix of the message stays readable.
    for (const end of recordEnds(message, keep, h.ancount)) {
      if (end > limit) break;
      keep = end;
      answers++;
    }
  } catch {
    // Unreadable past the header: send the header alone, marked truncated.
  }
  if (keep > limit) {
    keep = HEADER_LENGTH;
    questions = 0;
  }
  const out = Buffer.from(message.subarray(0, keep));
  out.writeUInt16BE(out.readUInt16BE(2) | TC, 2);
  out.writeUInt16BE(questions, 4);
  out.writeUInt16BE(answers, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}
