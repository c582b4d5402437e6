// Which state root owns a kernel object: an id from the state root's paths,
// never 0 (the kernel's default device group), the same for the same root
// and different for another; and the comments that carry it.
import { describe, expect, it } from 'vitest';
import { ownerComment, ownerOf, parseOwnerComment } from '../../../src/model/state/owner.js';

describe('owner', () => {
  it('is the same for the same state root, another for another, and names the root', () => {
    const a = ownerOf({ runtime: '/tmp/x/run', config: '/tmp/x/lib' });
    expect(ownerOf({ runtime: '/tmp/x/../x/run', config: '/tmp/x/lib' })).toEqual(a);
    const b = ownerOf({ runtime: '/tmp/y/run', config: '/tmp/y/lib' });
    expect(b.id).not.toBe(a.id);
    expect(a.root).toBe('/tmp/x');
    expect(ownerOf({ runtime: '/run/netplumb', config: '/var/lib/netplumb' }).root).toBe('/run/netplumb + /var/lib/netplumb');
    expect(a.tag).toMatch(/^[0-9a-f]{8}$/);
    expect(a.id).toBeGreaterThan(0);
  });

  it('keeps a long root within what an nft comment holds', () => {
    const long = `/tmp/${'d'.repeat(400)}`;
    expect(Buffer.byteLength(ownerOf({ runtime: `${long}/run`, config: `${long}/lib` }).root)).toBeLessThanOrEqual(254);
  });

  it('reads back the comments it writes, and nothing else', () => {
    const a = ownerOf({ runtime: '/tmp/x/run', config: '/tmp/x/lib' });
    const id = 'e'.repeat(64);
    expect(parseOwnerComment(ownerComment(a, id))).toEqual({ tag: a.tag, id });
    for (const c of [undefined, '', id, 'zz:' + id, `${a.tag}:short`]) expect(parseOwnerComment(c)).toBeUndefined();
  });
});
