// How the DNS service follows other processes' changes (issue 14): a changed
// sandbox document is read on its own, never the whole state; a changed
// network, or a change the watcher cannot name, reads the whole state. Real
// directories and real fs.watch events; no responder is started.
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Netns } from '../../../src/index.js';
import { DnsService, type DnsSource } from '../../../src/model/dns-service.js';
import type { SandboxRecord } from '../../../src/model/state/records.js';

const made: { dir: string; dns: DnsService }[] = [];
afterEach(() => {
  for (const m of made.splice(0)) {
    m.dns.close();
    rmSync(m.dir, { recursive: true, force: true });
  }
});

function setup(): { dirs: { networks: string; sandboxes: string }; reads: string[]; dns: DnsService } {
  const dir = mkdtempSync(join(tmpdir(), 'np-dnsf-'));
  const dirs = { networks: join(dir, 'networks'), sandboxes: join(dir, 'sandboxes') };
  const reads: string[] = [];
  const source: DnsSource = {
    sandbox: async (id) => {
      reads.push(`sandbox ${id}`);
      return { id, name: 'x', mode: 'bridge', hostname: 'x', netns: { kind: 'owned', path: '' }, endpoints: [], links: [], created: '' } as SandboxRecord;
    },
    all: async () => {
      reads.push('all');
      return { networks: [], sandboxes: [] };
    },
  };
  const dns = new DnsService(Netns.host());
  dns.follow(dirs, source);
  made.push({ dir, dns });
  return { dirs, reads, dns };
}

/** Writes a document the way the state store does: a temp file renamed over it. */
function writeDoc(dir: string, id: string): void {
  const tmp = join(dir, `${id}.json.123.abc.1.tmp`);
  writeFileSync(tmp, '{}');
  renameSync(tmp, join(dir, `${id}.json`));
}

const ID = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

describe('DnsService.follow', () => {
  it('reads a changed sandbox document on its own, never the whole state', async () => {
    const { dirs, reads } = setup();
    writeDoc(dirs.sandboxes, ID);
    writeDoc(dirs.sandboxes, OTHER);
    await expect.poll(() => reads.filter((r) => r.startsWith('sandbox')).sort()).toEqual([`sandbox ${ID}`, `sandbox ${OTHER}`].sort());
    unlinkSync(join(dirs.sandboxes, `${ID}.json`));
    await expect.poll(() => reads.filter((r) => r === `sandbox ${ID}`).length).toBeGreaterThanOrEqual(2);
    expect(reads).not.toContain('all');
  });

  it('reads the whole state when a network changes', async () => {
    const { dirs, reads } = setup();
    writeDoc(dirs.networks, ID);
    await expect.poll(() => reads).toContain('all');
  });
});
