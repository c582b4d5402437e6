// Labs never meet: two in one process and two in two processes, at the same
// time, with the same subnets, the same sandbox names and the same published
// host port, each answered only by its own service.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../../src/testing/index.js';
import { ChildLib } from '../model/support/child.js';
import { assertSandbox } from '../support/witness.js';
import { httpServer, ipv4In } from './support.js';

const SAME = { networks: { app: { subnet: '10.123.0.0/24' } } };
let lib: ChildLib;

beforeAll(async () => {
  assertSandbox();
  lib = await ChildLib.build(["export { Lab } from './src/testing/index.ts';"]);
});
afterAll(() => lib?.cleanup());

async function world(tag: string): Promise<Lab> {
  const lab = await Lab.open({ ...SAME, prefix: tag });
  const api = await lab.sandbox('api', { publish: ['18080:8080'] });
  await api.serve(httpServer(() => `I am ${tag}`), 8080);
  await lab.sandbox('client');
  return lab;
}

describe('labs side by side', () => {
  it('in one process: same subnet, names and host port, each lab answered by its own service', async () => {
    const [a, b] = await Promise.all([world('left'), world('right')]);
    try {
      expect(a.root).not.toBe(b.root);
      // The same addresses in both worlds, each in its own host namespace.
      expect(ipv4In(join(a.root, 'netns', 'host'))).toEqual(['10.123.0.1', '127.0.0.1']);
      expect(ipv4In(join(b.root, 'netns', 'host'))).toEqual(['10.123.0.1', '127.0.0.1']);
      const answers = await Promise.all([
        a.host.fetch('http://127.0.0.1:18080/').then((r) => r.text()),
        b.host.fetch('http://127.0.0.1:18080/').then((r) => r.text()),
        a.get('client').fetch('http://api:8080/').then((r) => r.text()),
        b.get('client').fetch('http://api:8080/').then((r) => r.text()),
      ]);
      expect(answers).toEqual(['I am left', 'I am right', 'I am left', 'I am right']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('in two processes at once: both labs up together, each answered by its own', async () => {
    const meet = mkdtempSync(join(tmpdir(), 'np-meet-'));
    try {
      const body = `
        const { existsSync, writeFileSync } = await import('node:fs');
        const http = await import('node:http');
        const { Lab } = await import('./netplumb.mjs');
        const until = async (f) => { for (let i = 0; i < 1500 && !existsSync(f); i++) await new Promise((r) => setTimeout(r, 20)); };
        // Plain .mjs on Node 20 has no \`await using\`: close() by hand.
        const lab = await Lab.open({ networks: { app: { subnet: '10.123.0.0/24' } }, prefix: args.tag });
        const api = await lab.sandbox('api', { publish: ['18080:8080'] });
        await api.serve(http.createServer((q, s) => s.end('I am ' + args.tag)), 8080);
        // Both labs are up before either asks, and stay up until both have asked.
        writeFileSync(args.meet + '/up-' + args.tag, '');
        await until(args.meet + '/up-' + args.other);
        const got = await (await lab.host.fetch('http://127.0.0.1:18080/')).text();
        writeFileSync(args.meet + '/asked-' + args.tag, '');
        await until(args.meet + '/asked-' + args.other);
        console.log(JSON.stringify({ got, root: lab.root }));
        await lab.close();
      `;
      const [x, y] = await Promise.all([
        lib.start(body, { tag: 'proc-x', other: 'proc-y', meet }).done,
        lib.start(body, { tag: 'proc-y', other: 'proc-x', meet }).done,
      ]);
      expect(x.stderr).toBe('');
      expect(y.stderr).toBe('');
      // A plain script ends when its last `await lab.close()` does, with status 0 (not 13, an await left pending).
      expect([x.code, y.code]).toEqual([0, 0]);
      const [rx, ry] = [JSON.parse(x.stdout) as { got: string; root: string }, JSON.parse(y.stdout) as { got: string; root: string }];
      expect([rx.got, ry.got]).toEqual(['I am proc-x', 'I am proc-y']);
      expect(rx.root).not.toBe(ry.root);
    } finally {
      rmSync(meet, { recursive: true, force: true });
    }
  });
});
