import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressFromData,
  buildErrorForId,
  buildQuery,
  buildResponse,
  DnsFormatError,
  encodeName,
  nameFromData,
  parseHeader,
  parseQuery,
  parseResponse,
  Rcode,
  readName,
  RRType,
  withId,
} from '../../../src/dns/wire.js';

// A query for www.example.com A, as `dig` sends it (with an EDNS OPT record).
const digQuery = Buffer.from(
  '12340120000100000000000103777777076578616d706c6503636f6d0000010001' + '0000291000000000000000',
  'hex',
);

describe('dns wire', () => {
  it('parses a real query', () => {
    const q = parseQuery(digQuery);
    expect(q.header).toMatchObject({ id: 0x1234, qr: false, opcode: 0, rd: true, qdcount: 1, arcount: 1 });
    expect(q.questions).toEqual([{ name: 'www.example.com', type: RRType.A, class: 1 }]);
  });

  it('follows compression pointers and refuses loops and forward pointers', () => {
    // "example.com" at 12, then "www" + pointer to 12.
    const msg = Buffer.concat([Buffer.alloc(12), encodeName('example.com'), Buffer.from([3, 0x77, 0x77, 0x77, 0xc0, 12])]);
    expect(readName(msg, 25)).toEqual({ name: 'www.example.com', next: 31 });
    const loop = Buffer.concat([Buffer.alloc(12), Buffer.from([0xc0, 12])]);
    expect(() => readName(loop, 12)).toThrow(DnsFormatError);
    const forward = Buffer.concat([Buffer.alloc(12), Buffer.from([0xc0, 14, 0])]);
    expect(() => readName(forward, 12)).toThrow(/backwards/);
    expect(() => readName(Buffer.concat([Buffer.alloc(12), Buffer.from([5, 0x61])]), 12)).toThrow(/past the end/);
    expect(() => readName(Buffer.concat([Buffer.alloc(12), Buffer.from([0x40])]), 12)).toThrow(/label type/);
  });

  it('reports the id of a query it cannot read so that FORMERR can be sent', () => {
    const bad = Buffer.concat([buildQuery(77, 'a.test', 1).subarray(0, 14)]);
    try {
      parseQuery(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DnsFormatError);
      expect((e as DnsFormatError).id).toBe(77);
    }
    expect(() => parseHeader(Buffer.alloc(5))).toThrow(DnsFormatError);
    expect(parseHeader(buildErrorForId(9, Rcode.FORMERR))).toMatchObject({ id: 9, qr: true, rcode: 1 });
  });

  it('builds A/AAAA answers and error responses that parse back', () => {
    const query = parseQuery(buildQuery(4242, 'Web.Net.', RRType.A));
    const resp = buildResponse(query, {
      authoritative: true,
      answers: [
        { address: '172.22.16.8', ttl: 600 },
        { address: 'fd00::8', ttl: 600 },
      ],
    });
    const parsed = parseResponse(resp);
    expect(parsed.header).toMatchObject({ id: 4242, qr: true, aa: true, rd: true, ra: true, rcode: 0, ancount: 2 });
    expect(parsed.questions).toEqual([{ name: 'Web.Net', type: 1, class: 1 }]);
    expect(parsed.answers.map((a) => [a.name, a.type, a.ttl, addressFromData(a.data)])).toEqual([
      ['Web.Net', RRType.A, 600, '172.22.16.8'],
      ['Web.Net', RRType.AAAA, 600, 'fd00::8'],
    ]);
    for (const rcode of [Rcode.NXDOMAIN, Rcode.SERVFAIL, Rcode.REFUSED]) {
      const r = parseResponse(buildResponse(query, { rcode }));
      expect(r.header.rcode).toBe(rcode);
      expect(r.header.ancount).toBe(0);
    }
    expect(() => parseResponse(buildQuery(1, 'x', 1))).toThrow(/not a response/);
    expect(() => parseQuery(resp)).toThrow(/not a query/);
    expect(withId(resp, 7).readUInt16BE(0)).toBe(7);
    expect(resp.readUInt16BE(0)).toBe(4242);
  });

  it('builds PTR answers whose target reads back', () => {
    const query = parseQuery(buildQuery(5, '8.16.22.172.in-addr.arpa', RRType.PTR));
    const parsed = parseResponse(buildResponse(query, { authoritative: true, answers: [{ ptr: 'web.front', ttl: 600 }] }));
    expect(parsed.answers.map((a) => [a.name, a.type, a.ttl, nameFromData(a.data)])).toEqual([
      ['8.16.22.172.in-addr.arpa', RRType.PTR, 600, 'web.front'],
    ]);
    expect(() => nameFromData(Buffer.from([3, 0x61, 0x62, 0x63, 0, 9]))).toThrow(DnsFormatError);
  });

  it('refuses names that do not fit', () => {
    expect(() => encodeName(`${'a'.repeat(64)}.test`)).toThrow(/1-63/);
    expect(() => encodeName(Array(130).fill('ab').join('.'))).toThrow(/255/);
    expect(() => encodeName('a..b')).toThrow(DnsFormatError);
    expect(encodeName('')).toEqual(Buffer.of(0));
  });

  it('never throws anything but DnsFormatError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          parseResponse(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(DnsFormatError);
        }
      }),
    );
  });
});
