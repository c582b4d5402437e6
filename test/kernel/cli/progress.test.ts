// The progress line (issue 16) as a terminal shows it: the CLI runs under
// script(1), which gives it a pseudo-terminal, and what the terminal got is
// read back; without a terminal, and with --json, nothing of it is written.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../daemon/support/daemon.js';
import { removeEverythingIn } from '../model/support/engine.js';
import { assertSandbox } from '../support/witness.js';

let scratch: string;
let stateDir: string;

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--state-dir', stateDir, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The command on a terminal: everything the terminal received (stdout and stderr), with the exit code. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv): { code: number | null; screen: string } {
  const log = join(scratch, `tty-${Date.now()}.log`);
  const quoted = [process.execPath, CLI, '--state-dir', stateDir, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-q', '-e', '-c', quoted, log], { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return { code: r.status, screen: readFileSync(log, 'utf8') };
}

beforeAll(() => {
  assertSandbox();
  ensureBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'np-progress-'));
  stateDir = join(scratch, 'state');
  expect(cli(['network', 'create', '--subnet', '10.83.0.0/24', 'prog']).code).toBe(0);
}, 120_000);

afterAll(async () => {
  if (!stateDir) return;
  await removeEverythingIn(stateDir);
  rmSync(scratch, { recursive: true, force: true });
});

describe('progress', () => {
  it('draws one line on a terminal while sandboxes are removed, names each, and erases it', () => {
    for (const n of ['pg1', 'pg2', 'pg3']) expect(cli(['create', '--name', n, '--network', 'prog']).code).toBe(0);
    const { code, screen } = onTerminal(['rm', '-f', 'pg1', 'pg2', 'pg3'], { NETPLUMB_PROGRESS: '1' });
    expect(code).toBe(0);
    expect(screen).toMatch(/\r\x1b\[2K[|/\\-] removing sandboxes(: pg\d)? \(\d+\.\d s\)/);
    // The last thing on stderr is the erase, after which the removed names were printed on stdout.
    expect(screen.lastIndexOf('\r\x1b[2K')).toBeGreaterThan(screen.lastIndexOf('removing sandboxes'));
    for (const n of ['pg1', 'pg2', 'pg3']) expect(screen).toContain(`${n}\r\n`);
    expect(cli(['ps', '-q']).stdout).toBe('');
  });

  it('stays quiet without a terminal and with --json, whatever NETPLUMB_PROGRESS says', () => {
    expect(cli(['create', '--name', 'pg4', '--network', 'prog']).code).toBe(0);
    const piped = cli(['rm', '-f', 'pg4'], { NETPLUMB_PROGRESS: '1' });
    expect(piped).toMatchObject({ code: 0, stdout: 'pg4\n', stderr: '' });
    const graph = onTerminal(['graph', '--format', 'json'], { NETPLUMB_PROGRESS: '1' });
    expect(graph.code).toBe(0);
    expect(graph.screen).not.toContain('reading the kernel');
    expect(graph.screen).toContain('"kind": "network"');
    const off = onTerminal(['graph', '--format', 'text'], { NETPLUMB_PROGRESS: '0' });
    expect(off.code).toBe(0);
    expect(off.screen).not.toContain('reading the kernel');
  });
});
