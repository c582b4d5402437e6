// The socket's group comes from /etc/group when the group exists.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupId } from '../../../src/daemon/listen.js';

describe('socket group', () => {
  it('finds a group by name in a group file, and nothing for a group that is not there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-group-'));
    try {
      const file = join(dir, 'group');
      writeFileSync(file, 'root:x:0:\ndocker:x:998:alice\nnetplumb:x:997:alice,bob\n');
      expect(groupId('netplumb', file)).toBe(997);
      expect(groupId('docker', file)).toBe(998);
      expect(groupId('wheel', file)).toBeUndefined();
      expect(groupId('netplumb', join(dir, 'missing'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
