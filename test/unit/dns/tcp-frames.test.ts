import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameReader, frame } from '../../../src/dns/tcp-frames.js';

describe('DNS over TCP framing', () => {
  it('prefixes the length and refuses messages over 65535 bytes', () => {
    expect(frame(Buffer.from('abc'))).toEqual(Buffer.from([0, 3, 0x61, 0x62, 0x63]));
    expect(() => frame(Buffer.alloc(0x10000))).toThrow(RangeError);
  });

  it('hands out each message once complete, however the stream is split (property)', () => {
    const messages = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 });
    fc.assert(
      fc.property(messages, fc.array(fc.nat(), { maxLength: 10 }), (msgs, cuts) => {
        const stream = Buffer.concat(msgs.map((m) => frame(m)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const reader = new FrameReader();
        const out: Buffer[] = [];
        let from = 0;
        for (const p of [...points, stream.length]) {
          out.push(...reader.push(stream.subarray(from, p)));
          from = p;
        }
        expect(out.map((b) => [...b])).toEqual(msgs.map((m) => [...m]));
        expect(reader.pendingBytes).toBe(0);
      }),
    );
  });
});
