// What a lab guarantees to take down, and how: close() before it resolves;
// its reaper when the lab's process exits or is killed without close(); the
// next Lab.open when process and reaper both died. "Everything" is checked by
// what the kernel reports: no process left in the lab's namespaces, no mount
// of them, no descriptor of this process on them, no file of the lab. And
// without the privileges to build one, a lab refuses and says how to run.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../../src/testing/index.js';
import { ChildLib } from '../model/support/child.js';
import { assertSandbox } from '../support/witness.js';
import { eventually, httpServer, labNamespaces, mountsUnder, ownHandlesOn, processesIn } from './support.js';

let lib: ChildLib;

beforeAll(async () => {
  assertSandbox();
  lib = await ChildLib.build(["export { Lab } from './src/testing/index.ts';"]);
});
afterAll(() => lib?.cleanup());

interface Built {
  root: string;
  namespaces: string[];
  background: number;
  reaper: number;
}

// A child that builds a lab with a sandbox, a process in it and a process it
// left running in the background, prints what it made, then ends as `args.how` says.
const BUILD = `
  const { existsSync, readdirSync, readFileSync, statSync } = await import('node:fs');
  const { Lab } = await import('./netplumb.mjs');
  const lab = await Lab.open({ networks: { app: { subnet: '10.124.0.0/24' } }, outside: true, prefix: 'crash' });
  const s = await lab.sandbox('s');
  s.spawn(['sleep', '1000'], { stdio: 'ignore' });
  const bg = await s.exec(['sh', '-c', 'sleep 1000 >/dev/null 2>&1 & echo $!']);
  const namespaces = readdirSync(lab.root + '/netns').map((f) => 'net:[' + statSync(lab.root + '/netns/' + f).ino + ']');
  const owner = JSON.parse(readFileSync(lab.root + '/owner.json', 'utf8'));
  console.log(JSON.stringify({ root: lab.root, namespaces, background: Number(bg.stdout), reaper: owner.reaper.pid }));
  // 'exit': process.exit() (no close) once the test has seen the lab; 'stay': until killed.
  setInterval(() => { if (args.how === 'exit' && existsSync(lab.root + '.seen')) process.exit(0); }, 20);
`;

async function buildInChild(how: 'exit' | 'stay'): Promise<{ built: Built; child: import('node:child_process').ChildProcess }> {
  const { child } = lib.start(BUILD, { how });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { built: JSON.parse(String(line)) as Built, child };
}

function leftOf(b: { root: string; namespaces: string[] }): { files: boolean; mounts: string[]; processes: number[]; handles: string[] } {
  return { files: existsSync(b.root), mounts: mountsUnder(b.root), processes: processesIn(b.namespaces), handles: ownHandlesOn(b.namespaces) };
}

const NOTHING = { files: false, mounts: [], processes: [], handles: [] };

describe('taking a lab down', () => {
  it('close() removes everything before it resolves: processes, mounts, handles, files', async () => {
    const lab = await Lab.open({ networks: { app: { subnet: '10.124.0.0/24' } }, outside: true });
    const s = await lab.sandbox('s', { publish: ['18081:80'] });
    await s.serve(httpServer(() => 'up'), 80);
    const held = await lab.host.connect(18081, '127.0.0.1'); // a connection into the lab, open at close()
    s.spawn(['sleep', '1000'], { stdio: 'ignore' });
    const bg = await s.exec(['sh', '-c', 'sleep 1000 >/dev/null 2>&1 & echo $!']);
    const made = { root: lab.root, namespaces: labNamespaces(lab.root) };
    expect(made.namespaces).toHaveLength(3); // host, outside, s
    expect(processesIn(made.namespaces)).toContain(Number(bg.stdout));
    expect(mountsUnder(lab.root).length).toBeGreaterThan(0);

    await lab.close();
    expect(leftOf(made)).toEqual(NOTHING);
    expect(held.destroyed).toBe(true);
    await expect(lab.sandbox('again')).rejects.toThrow(/is closed/);
    await lab.close(); // a second close is the first one's result
  });

  it.each([
    ['exits without close()', 'exit'],
    ['is killed (SIGKILL)', 'stay'],
  ] as const)('when its process %s, the reaper removes everything', async (_, how) => {
    const { built, child } = await buildInChild(how);
    expect(processesIn(built.namespaces)).toContain(built.background);
    if (how === 'stay') child.kill('SIGKILL');
    else writeFileSync(`${built.root}.seen`, '');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    expect(await eventually(() => !existsSync(built.root))).toBe(true);
    expect(await eventually(() => processesIn(built.namespaces).length === 0)).toBe(true);
    expect(leftOf(built)).toEqual(NOTHING);
    rmSync(`${built.root}.seen`, { force: true });
  });

  it('when process and reaper both died, the next Lab.open removes the orphan', async () => {
    const { built, child } = await buildInChild('stay');
    process.kill(built.reaper, 'SIGKILL'); // the reaper this test's child started, first: then nothing watches
    child.kill('SIGKILL');
    await once(child, 'exit');
    // The background process is not the child's: it outlives it, and holds the sandbox's namespace.
    expect(existsSync(built.root)).toBe(true);
    expect(processesIn(built.namespaces)).toContain(built.background);

    const next = await Lab.open();
    try {
      expect(leftOf(built)).toEqual(NOTHING);
    } finally {
      await next.close();
    }
  });

  it('refuses without the privileges to build one, saying how to run the tests, and leaves nothing', async () => {
    const labs = (): string[] => (existsSync('/run/netplumb/labs') ? readdirSync('/run/netplumb/labs').sort() : []);
    const before = labs();
    const file = join(lib.dir, 'lib', 'addon', 'refused.mjs');
    writeFileSync(file, `
      const { Lab } = await import('./netplumb.mjs');
      try { await Lab.open(); console.log('opened'); } catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }
    `);
    // No capabilities at all, as an ordinary user outside any sandbox has.
    const child = spawn('setpriv', ['--bounding-set=-all', '--inh-caps=-all', '--', process.execPath, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    await once(child, 'exit');
    const refusal = JSON.parse(out) as { name: string; message: string };
    expect(refusal.name).toBe('SandboxRequiredError');
    expect(refusal.message).toMatch(/CAP_NET_ADMIN/);
    expect(refusal.message).toMatch(/netplumb sandbox -- npx vitest run/);
    expect(refusal.message).toMatch(/netplumb\/testing\/vitest-setup/);
    expect(labs()).toEqual(before);
  });
});
