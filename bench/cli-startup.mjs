// Issue 16's start-up benchmark: what a CLI command costs above starting Node
// itself, one process per call, round-robin in the same run:
//
//   node -e 0                        the floor
//   netplumb --help                  parsing and help only
//   netplumb ps                      in-process (no daemon), over a state with
//                                    one network and two sandboxes
//   netplumb network ls              the same, networks
//   netplumb graph                   for scale: reads the kernel too
//   netplumb ps, through netplumbd   a daemon owning another state root (the
//                                    CLI loads only the HTTP client)
//   … without the code cache         --help and ps with NETPLUMB_CODE_CACHE=0:
//                                    what V8 compiling the bundle costs
//
// The bin keeps V8's compiled code of the bundle (src/cli/code-cache.ts) in
// a directory of its own here, written by the warm-up rounds, as a user's
// first run of each command writes it.
// BENCH_CLI_BASELINE=/path/to/another/dist/cli/main.cjs adds its --help and
// ps (in-process, same state) as rows, to compare a change with what it changes.
//
// Reported: the median wall time of each and its difference from the floor,
// and the median CPU time (user + sys, from /usr/bin/time), which a busy
// machine inflates less than the wall time.
// Run inside the sandbox: npm run build:ts && scripts/sandbox node bench/cli-startup.mjs
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { barChart } from './lib/chart.mjs';
import { assertSandbox, fmt, median, now, run } from './lib/stats.mjs';

assertSandbox();
const N = Number(process.env.BENCH_ITER ?? 30);
const CLI = fileURLToPath(new URL('../dist/cli/main.cjs', import.meta.url));
const state = mkdtempSync(join(tmpdir(), 'np-bench-cli-'));
const cli = (...args) => [CLI, '--state-dir', state, ...args];

run(process.execPath, cli('network', 'create', '--subnet', '10.201.0.0/24', 'benchnet'));
run(process.execPath, cli('create', '--name', 'b1', '--network', 'benchnet', '-p', '18080:80'));
run(process.execPath, cli('create', '--name', 'b2', '--network', 'benchnet'));

// A daemon on its own state root, for `ps` through it.
const dstate = mkdtempSync(join(tmpdir(), 'np-bench-cli-d-'));
const socket = join(dstate, 'np.sock');
// In a namespace of its own: it owns the firewall there (the in-process state above has this namespace's).
const DNS_NS = 'bench-cli-daemon';
spawnSync('ip', ['netns', 'del', DNS_NS]);
run('ip', ['netns', 'add', DNS_NS]);
const daemonMain = fileURLToPath(new URL('../dist/daemon/main.js', import.meta.url));
const daemon = spawn('nsenter', [`--net=/run/netns/${DNS_NS}`, '--', process.execPath, daemonMain, '--state-dir', dstate, '-H', `unix://${socket}`], { stdio: ['ignore', 'ignore', 'inherit'] });
const ping = () => new Promise((res) => http.get({ socketPath: socket, path: '/_ping' }, (r) => res(r.statusCode === 200)).on('error', () => res(false)));
for (let t = 0; !(await ping()); t++) {
  if (t > 300) throw new Error('netplumbd did not answer');
  await new Promise((r) => setTimeout(r, 50));
}

const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'netplumb --help', args: [CLI, '--help'] },
  { name: 'netplumb ps', args: cli('ps') },
  { name: 'netplumb network ls', args: cli('network', 'ls') },
  { name: 'netplumb graph', args: cli('graph') },
  { name: 'netplumb ps (netplumbd)', args: [CLI, '-H', `unix://${socket}`, 'ps'] },
  { name: '--help, no code cache', args: [CLI, '--help'], env: { NETPLUMB_CODE_CACHE: '0' } },
  { name: 'ps, no code cache', args: cli('ps'), env: { NETPLUMB_CODE_CACHE: '0' } },
];
const codeCache = mkdtempSync(join(tmpdir(), 'np-bench-cli-cache-'));
const baseline = process.env.BENCH_CLI_BASELINE;
if (baseline)
  cases.push(
    { name: 'baseline --help', args: [baseline, '--help'] },
    { name: 'baseline ps', args: [baseline, '--state-dir', state, 'ps'] },
    { name: 'baseline ps (netplumbd)', args: [baseline, '-H', `unix://${socket}`, 'ps'] },
  );
const times = cases.map(() => []);
const cpu = cases.map(() => []);
for (let i = 0; i < N + 2; i++)
  for (const [k, c] of cases.entries()) {
    const t0 = now();
    const env = { ...process.env, NETPLUMB_CODE_CACHE: codeCache, ...c.env };
    const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, ...c.args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env });
    const ms = now() - t0;
    if (r.status !== 0) throw new Error(`${c.name} failed: ${r.stderr}`);
    const [, user, sys] = /cpu (\S+) (\S+)\s*$/.exec(r.stderr) ?? [];
    // Two warm-up rounds (page cache, the addon's first load, the code cache).
    if (i >= 2) {
      times[k].push(ms);
      cpu[k].push((Number(user) + Number(sys)) * 1000);
    }
  }
daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));
rmSync(dstate, { recursive: true, force: true });
run('ip', ['netns', 'del', DNS_NS]);

run(process.execPath, cli('rm', '-f', 'b1', 'b2'));
run(process.execPath, cli('network', 'rm', 'benchnet'));
rmSync(state, { recursive: true, force: true });
rmSync(codeCache, { recursive: true, force: true });

const floor = median(times[0]);
const cpuFloor = median(cpu[0]);
console.log(`\nCLI start-up, ${N} runs each, round-robin, one process per call (medians, ms; node ${process.version})`);
console.log('  command'.padEnd(30) + 'wall'.padStart(8) + 'vs node -e 0'.padStart(14) + 'ratio'.padStart(8) + 'cpu'.padStart(8) + 'vs node -e 0'.padStart(14));
for (const [k, c] of cases.entries()) {
  const m = median(times[k]);
  const u = median(cpu[k]);
  const plus = (x) => (k === 0 ? '' : `+${fmt(x)}`);
  console.log(`  ${c.name}`.padEnd(30) + fmt(m).padStart(8) + plus(m - floor).padStart(14) + `${(m / floor).toFixed(2)}×`.padStart(8) + fmt(u).padStart(8) + plus(u - cpuFloor).padStart(14));
}
const chart = fileURLToPath(new URL('../docs/bench-cli-startup.svg', import.meta.url));
barChart(chart, {
  title: `CLI start-up, CPU ms (user + sys), median of ${N}; node -e 0 is the reference`,
  unit: 'ms',
  rows: cases.map((c, k) => ({ name: c.name, value: median(cpu[k]) })),
});
console.log(`\nchart: ${chart}`);
