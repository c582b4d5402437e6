// `netplumb completion bash|zsh` sourced in a real bash, asked as bash asks
// (COMP_WORDS, COMP_CWORD): commands, subcommands and options come from the
// command tree, option values are left alone, and sandbox and network names
// come from netplumb itself. And every command's --help is there.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertSandbox } from '../support/witness.js';
import { CLI, ensureBuilt } from '../daemon/support/daemon.js';

let dir: string;
let script: string;

function netplumb(...args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, '--state-dir', join(dir, 'state'), ...args], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** What bash would offer for the words typed so far (the last one is being completed). */
function complete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['-c', `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _netplumb; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
  });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

beforeAll(() => {
  assertSandbox();
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'np-completion-'));
  // `netplumb` on PATH, as an installed one is, on this test's state.
  writeFileSync(join(dir, 'netplumb'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' --state-dir '${join(dir, 'state')}' "$@"\n`);
  chmodSync(join(dir, 'netplumb'), 0o755);
  script = join(dir, 'netplumb.bash');
  writeFileSync(script, netplumb('completion', 'bash'));
}, 120_000);

afterAll(() => {
  if (!dir) return;
  spawnSync(join(dir, 'netplumb'), ['rm', '-f', 'compl-web']);
  spawnSync(join(dir, 'netplumb'), ['network', 'rm', '-f', 'compl-net']);
  rmSync(dir, { recursive: true, force: true });
});

describe('shell completion', () => {
  it('completes commands, subcommands and options from the command tree', () => {
    expect(complete('netplumb', 'ne')).toEqual(['network']);
    expect(complete('netplumb', '--state-dir', '/x', 'p')).toEqual(['port', 'ps']);
    expect(complete('netplumb', 'network', '')).toEqual(['--help', 'connect', 'create', 'disconnect', 'inspect', 'ls', 'prune', 'rm']);
    expect(complete('netplumb', 'ps', '--f')).toEqual(['--filter', '--format']);
    expect(complete('netplumb', 'network', 'create', '--ip')).toEqual(['--ip-range', '--ipv6']);
    // The word after an option that takes a value is that value, not a command.
    expect(complete('netplumb', 'network', 'create', '--driver', '')).toEqual([]);
    expect(complete('netplumb', 'completion', '')).toEqual(['--help']);
  });

  it('completes sandbox and network names by asking netplumb', () => {
    netplumb('network', 'create', '--subnet', '10.83.0.0/24', 'compl-net');
    netplumb('create', '--name', 'compl-web', '--network', 'compl-net');
    expect(complete('netplumb', 'logs', 'compl')).toEqual(['compl-web']);
    expect(complete('netplumb', 'rm', '')).toEqual(['compl-web']);
    expect(complete('netplumb', 'network', 'inspect', 'com')).toEqual(['compl-net']);
  });

  it('gives zsh the same through bashcompinit, and refuses other shells', () => {
    const zsh = netplumb('completion', 'zsh');
    expect(zsh).toMatch(/^#compdef netplumb\n/);
    expect(zsh).toContain('bashcompinit');
    expect(zsh).toContain('complete -F _netplumb netplumb');
    const r = spawnSync(process.execPath, [CLI, 'completion', 'fish'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no completion for 'fish'");
  });

  it('every command and subcommand has --help with a usage line, a description and an example', () => {
    const top = netplumb('--help');
    const commands = [...top.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1] as string).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThan(15);
    const paths = [...commands.filter((c) => c !== 'network' && c !== 'cni').map((c) => [c]), ...['create', 'ls', 'inspect', 'rm', 'connect', 'disconnect', 'prune'].map((s) => ['network', s]), ['cni', 'install']];
    for (const p of paths) {
      const help = netplumb(...p, '--help');
      expect(help, p.join(' ')).toMatch(/^Usage: netplumb /);
      expect(help.split('\n')[2], p.join(' ')).not.toBe('');
      expect(help, p.join(' ')).toMatch(/Examples?:\n {2}(netplumb|nsenter|eval) /);
    }
  });
});
