// Runs the core's C++ unit tests (native/tests): codec layout and bounds,
// and the socket's answer handling against the kernel.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

// The compile is part of the test and shares the machine with everything else: it gets time, not a deadline.
it('native codec and socket unit tests pass', { timeout: 600_000 }, () => {
  let out: string;
  try {
    out = execFileSync('scripts/native-tests', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`native tests failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
  expect(out).toMatch(/^\d+ passed, 0 failed$/m);
});
