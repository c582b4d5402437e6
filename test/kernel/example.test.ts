// examples/integration-tests from the user's side: the packed netplumb
// tarball installed offline into a copy of the example project, then the
// project's own `vitest run` — its global setup enters a sandbox of its own
// (a user namespace inside this test's), and its two test files, which build
// the same subnet and publish the same host port, run at the same time.
// Vitest itself is linked from this repository's node_modules (the example's
// other devDependency), so nothing is fetched.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packWithDependencies, REPO, run, stagePackage, userEnv } from './support/package.js';
import { assertSandbox } from './support/witness.js';

let tmp = '';

beforeAll(assertSandbox);
afterAll(() => {
  if (tmp && !process.env.NETPLUMB_TEST_KEEP) rmSync(tmp, { recursive: true, force: true });
});

interface VitestJson {
  success: boolean;
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; status: string; startTime: number; endTime: number; message: string }[];
}

describe('examples/integration-tests', () => {
  it('installs netplumb from the packed tarball and passes its own tests, two files in parallel, in a sandbox it enters itself', { timeout: 600_000 }, () => {
    tmp = mkdtempSync(join(tmpdir(), 'netplumb-example-'));
    const stage = join(tmp, 'stage');
    const dest = join(tmp, 'tarballs');
    mkdirSync(dest);
    stagePackage(stage);
    const { tarball, deps } = packWithDependencies(stage, dest);

    const app = join(tmp, 'app');
    cpSync(join(REPO, 'examples', 'integration-tests'), app, { recursive: true });
    // The user's `npm install`, offline: netplumb from its tarball; vitest from this repository.
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(Object.keys(manifest.devDependencies).sort()).toEqual(['netplumb', 'vitest']);
    delete manifest.devDependencies.vitest;
    delete manifest.devDependencies.netplumb;
    writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
    const env = userEnv(process.env.PATH ?? '');
    // Every runtime dependency comes as a tarball: minutes on a busy machine.
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--cache', join(tmp, 'npm-cache'), tarball, ...deps], { cwd: app, env, timeout: 300_000 });
    symlinkSync(join(REPO, 'node_modules', 'vitest'), join(app, 'node_modules', 'vitest'));

    // `npm test` of the example is `vitest run`; the JSON report says what ran when.
    const report = join(tmp, 'report.json');
    const r = run(process.execPath, [join(app, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=json', `--outputFile=${report}`], { cwd: app, env, timeout: 240_000 });
    expect(r.stderr).toMatch(/running the tests inside a sandbox/);
    const result = JSON.parse(readFileSync(report, 'utf8')) as VitestJson;
    expect(result.testResults.map((t) => [t.name.replace(`${app}/`, ''), t.status, t.message])).toEqual([
      ['test/faults.test.js', 'passed', ''],
      ['test/service.test.js', 'passed', ''],
    ]);
    expect([result.success, result.numPassedTests, result.numFailedTests]).toEqual([true, 2, 0]);
    // The two files were running at the same time.
    const [a, b] = result.testResults;
    expect(a!.startTime < b!.endTime && b!.startTime < a!.endTime).toBe(true);
  });
});
