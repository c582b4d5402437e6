import { describe, expect, it } from 'vitest';
import { fitToSize, udpLimit } from '../../../src/dns/size.js';
import { addressFromData, buildQuery, buildResponse, parseQuery, parseResponse } from '../../../src/dns/wire.js';

/** A query with an EDNS0 OPT record announcing `size` (as dig sends it). */
function ednsQuery(size: number): Buffer {
  const q = buildQuery(7, 'many.test', 1);
  q.writeUInt16BE(1, 10);
  const opt = Buffer.from('0000290000000000000000', 'hex');
  opt.writeUInt16BE(size, 3);
  return Buffer.concat([q, opt]);
}

function bigAnswer(count: number): Buffer {
  const answers = Array.from({ length: count }, (_, i) => ({ address: `10.0.${i >> 8}.${i & 255}`, ttl: 600 }));
  return buildResponse(parseQuery(buildQuery(7, 'many.test', 1)), { answers, authoritative: true });
}

describe('answer size', () => {
  it('takes 512 bytes, or the EDNS0 payload size the client announces, never less than 512', () => {
    expect(udpLimit(buildQuery(1, 'x.test', 1))).toBe(512);
    expect(udpLimit(ednsQuery(1232))).toBe(1232);
    expect(udpLimit(ednsQuery(100))).toBe(512);
    expect(udpLimit(Buffer.from('xx'))).toBe(512);
  });

  it('keeps a message that fits and cuts one that does not to whole answers with TC set', () => {
    const small = bigAnswer(3);
    expect(fitToSize(small, 512)).toBe(small);
    const big = bigAnswer(100);
    expect(big.length).toBeGreaterThan(512);
    const cut = fitToSize(big, 512);
    expect(cut.length).toBeLessThanOrEqual(512);
    const parsed = parseResponse(cut);
    expect(parsed.header).toMatchObject({ tc: true, aa: true, id: 7, qdcount: 1, nscount: 0, arcount: 0 });
    // 12 header + 15 question + 16 per record: 30 records fit in 512 bytes.
    expect(parsed.answers).toHaveLength(30);
    expect(parsed.answers.map((a) => addressFromData(a.data))[29]).toBe('10.0.0.29');
    expect(parseResponse(fitToSize(big, 1232)).answers).toHaveLength(75);
  });

  it('sends the header alone, truncated, when even the question does not fit or cannot be read', () => {
    const big = bigAnswer(40);
    const broken = Buffer.from(big);
    broken[12] = 0xc0;
    const cut = parseResponse(fitToSize(broken, 512));
    expect(cut.header).toMatchObject({ tc: true, qdcount: 0, ancount: 0 });
  });
});
