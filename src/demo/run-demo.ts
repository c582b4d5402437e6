// `netplumb demo`: Docker's bridge networking built with the Engine inside
// the sandbox, every path proved with traffic, a report, and a teardown that
// is checked. Resolves to true when every check passed and nothing is left.
import { Netns } from '../netns.js';
import { BridgeLab, LAB } from './bridge-lab.js';
import { labChecks, runChecks, type CheckResult } from './checks.js';
import { leftovers, snapshotHost } from './leftovers.js';
import { printBuilt, printCheck } from './report.js';

export async function runDemo(): Promise<boolean> {
  if (process.env.NETPLUMB_SANDBOX !== '1')
    throw new Error('the demo changes network state: run it inside the sandbox (`netplumb demo` and `npm run demo` do that)');
  const host = Netns.host();
  const before = await snapshotHost(host);
  console.log("netplumb demo: Docker's bridge networking, built over netlink in a throwaway sandbox\n");
  const lab = await BridgeLab.create(host);
  let results: CheckResult[] = [];
  let buildError: unknown;
  const t0 = performance.now();
  try {
    await lab.build();
  } catch (e) {
    buildError = e;
  }
  const built = performance.now() - t0;
  console.log(`Built in ${built.toFixed(1)} ms, without spawning a process:`);
  printBuilt(lab.steps);
  if (buildError) {
    console.log(`\nBUILD FAILED at step ${lab.steps.length + 1}: ${(buildError as Error).message}`);
  } else {
    const checks = labChecks(lab);
    const width = Math.max(...checks.map((c) => c.what.length));
    console.log(`\nTraffic (${LAB.web.name} publishes ${LAB.web.publish}; every check sends real bytes):`);
    results = await runChecks(checks, (r) => printCheck(r, width));
  }
  const t1 = performance.now();
  const failures = await lab.teardown();
  const tornMs = performance.now() - t1;
  const left = await leftovers(host, before);
  const gone = failures.length === 0 && left.length === 0;
  console.log(
    `\nTorn down in ${tornMs.toFixed(1)} ms: 3 sandboxes, 2 networks, the published port, the wan and the state directory. ` +
      (gone
        ? 'Nothing is left: no namespace, link, route or firewall element of the demo: table inet netplumb went with the last network.'
        : `Left behind: ${[...failures, ...left].join('; ')}.`),
  );
  const passed = results.filter((r) => r.ok).length;
  const ok = !buildError && passed === results.length && gone;
  console.log(ok ? `\nAll ${results.length} checks passed.` : `\n${passed} of ${results.length} checks passed${buildError ? ', the build failed' : ''}${gone ? '' : ', the teardown left something behind'}.`);
  return ok;
}
