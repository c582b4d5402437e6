// Runs the core's C++ unit tests (native/tests): codec layout and bounds,
// the socket's answer handling against the kernel, and the builders' golden
// bytes against what ip and nft send.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

// No time limit (0): a first run compiles the builders it tests, about a
// minute on two cores; later runs reuse the objects.
it('native codec, socket and golden-byte unit tests pass', () => {
  let out: string;
  try {
    out = execFileSync('scripts/native-tests', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`native tests failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
  const totals = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)];
  expect(totals).toHaveLength(2);
  for (const t of totals) expect(t[2]).toBe('0');
}, 0);
