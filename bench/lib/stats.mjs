// Timing and reporting helpers shared by the benchmarks.
import { execFileSync, spawnSync } from 'node:child_process';

export const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs a command and throws with its stderr when it fails. */
export function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export function have(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/** Prints rows of {name, setup, teardown} medians with ratios against the first row. */
export function table(title, rows) {
  console.log(`\n${title}`);
  const base = rows[0];
  console.log('  tool'.padEnd(34) + 'setup ms'.padStart(10) + 'teardown ms'.padStart(13) + 'total ms'.padStart(10) + '  vs netplumb');
  for (const r of rows) {
    const total = r.setup + r.teardown;
    const ratio = r === base ? '' : `${(total / (base.setup + base.teardown)).toFixed(1)}×`;
    console.log(
      `  ${r.name}`.padEnd(34) + fmt(r.setup).padStart(10) + fmt(r.teardown).padStart(13) + fmt(total).padStart(10) + `  ${ratio}`,
    );
  }
}

export function assertSandbox() {
  if (process.env.NETPLUMB_SANDBOX !== '1') {
    console.error('benchmarks change network state: run them through scripts/sandbox (npm run bench does)');
    process.exit(2);
  }
}
