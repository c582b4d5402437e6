// The demo's printed report: what was built, what passed, how long it took.
import type { Built } from './bridge-lab.js';
import type { CheckResult } from './checks.js';

const ms = (n: number): string => `${n.toFixed(1)} ms`.padStart(9);

export function printBuilt(steps: Built[]): void {
  const w = Math.max(...steps.map((s) => s.what.length));
  for (const s of steps) console.log(`  ${ms(s.ms)}  ${s.what.padEnd(w)}  ${s.detail}`);
}

export function printCheck(r: CheckResult, width: number): void {
  console.log(`  ${r.ok ? 'PASS' : 'FAIL'} ${ms(r.ms)}  ${r.what.padEnd(width)}  ${r.detail}`);
}
