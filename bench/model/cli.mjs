// Issue 11's benchmark: create + rm of one sandbox with one published port
// (-p HOSTPORT:80), one process per call, as a script or a runtime calls a
// tool; same run, round-robin:
//
//   node -e 0                 the floor: starting Node and exiting
//   netplumb CLI, daemon      `netplumb create` / `netplumb rm` going through
//                             netplumbd (the CLI loads only an HTTP client)
//   netplumb CLI, in-process  the same commands with no daemon: each opens
//                             the Engine (addon, model, state) itself
//   Engine.connect            for scale: the same through the daemon from a
//                             client that stays, no process per call
//   CNI plugins, netavark     as in bench/model/attach.mjs (peers.mjs): one
//                             process per plugin call; the namespace is made
//                             before and deleted after the timed part
//
// The daemon runs in a namespace of its own ("bench-dhost" with its own wan):
// it owns the firewall of its namespace, and the in-process CLI needs one it
// does not own. One untimed warm-up round per tool proves its published port
// with a TCP connection from a wan namespace.
//
// Run inside the sandbox: npm run build:ts && scripts/sandbox node bench/model/cli.mjs
// (bench/model/ensure-peers, as root outside the sandbox, installs the peers.)
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { assertSandbox, fmt, median, run } from '../lib/stats.mjs';
import { Engine } from '../../dist/index.js';
import { HOST_WAN, Netns, machineLine, makeWan, proveTcp, timeRound } from './common.mjs';
import { peerTools } from './peers.mjs';

assertSandbox();
const N = Number(process.env.BENCH_ITER ?? 20);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = `${ROOT}dist/cli/main.cjs`;
const DAEMON = `${ROOT}dist/daemon/main.js`;
const DSTATE = '/run/netplumb-bench-daemon';
const LSTATE = '/run/netplumb-bench-cli';
const SOCKET = `${DSTATE}/np.sock`;
const DHOST = 'bench-dhost';
const DHOST_WAN = '198.18.1.1';

// The CPU time of each Node process (user + system, as Node counts it when it
// exits), besides the wall time: on a busy machine the wall time of a short
// process is mostly waiting for a core, its CPU time much less so. The hook is
// preloaded as CommonJS (-r): --import would start Node's ESM loader in every
// process and load the CLI's CommonJS bin through it, which costs more than
// the CLI's own start-up.
const CPU_HOOK = '/run/netplumb-bench-cpu.cjs';
writeFileSync(CPU_HOOK, "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write(`\\nnetplumb-bench-cpu ${(u.user + u.system) / 1000}\\n`); });\n");
let lastCpu = 0;
/** Runs node with ARGS and the CPU hook; returns the result and keeps its CPU ms in lastCpu. */
function node(args, env = process.env) {
  const r = spawnSync(process.execPath, ['-r', CPU_HOOK, ...args], { env, encoding: 'utf8' });
  const m = /netplumb-bench-cpu ([\d.]+)\n*$/.exec(r.stderr ?? '');
  lastCpu = m ? Number(m[1]) : NaN;
  return { ...r, stderr: (r.stderr ?? '').replace(/\n?netplumb-bench-cpu [\d.]+\n*$/, '') };
}

const wan = await makeWan();
const { cni, netavark, backends } = peerTools(wan);

// --- the daemon's namespace, its wan, and the daemon ------------------------------------------
for (const d of [DSTATE, LSTATE]) rmSync(d, { recursive: true, force: true });
const dhost = await Netns.create({ name: DHOST });
const dwan = await Netns.create({ name: 'bench-dwan' });
run('ip', ['-n', DHOST, 'link', 'add', 'dwan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'bench-dwan']);
run('ip', ['-n', DHOST, 'addr', 'add', `${DHOST_WAN}/24`, 'dev', 'dwan0']);
run('ip', ['-n', DHOST, 'link', 'set', 'dwan0', 'up']);
run('ip', ['-n', 'bench-dwan', 'addr', 'add', '198.18.1.2/24', 'dev', 'eth0']);
run('ip', ['-n', 'bench-dwan', 'link', 'set', 'eth0', 'up']);
run('ip', ['-n', 'bench-dwan', 'route', 'add', 'default', 'via', DHOST_WAN]);
const daemon = spawn('nsenter', [`--net=/run/netns/${DHOST}`, '--', process.execPath, DAEMON, '--state-dir', DSTATE, '-H', `unix://${SOCKET}`, '--bridge', 'none', '--dns', '127.0.0.1', '--log-level', 'warn'], {
  env: { ...process.env, NETPLUMB_ETC_DIR: `${DSTATE}/etc` },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const ping = () => new Promise((res) => http.get({ socketPath: SOCKET, path: '/_ping' }, (r) => { r.resume(); res(r.statusCode === 200); }).on('error', () => res(false)));
for (let t0 = Date.now(); !(await ping()); ) {
  if (Date.now() - t0 > 30_000) throw new Error('netplumbd did not start within 30 s');
  await new Promise((r) => setTimeout(r, 50));
}

function cli(state, args) {
  const r = node([CLI, ...args], { ...process.env, NETPLUMB_STATE_DIR: state, NETPLUMB_ETC_DIR: `${state}/etc` });
  if (r.status !== 0) throw new Error(`netplumb ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
cli(DSTATE, ['network', 'create', '--subnet', '172.23.0.0/16', 'bench']);
cli(LSTATE, ['network', 'create', '--subnet', '172.24.0.0/16', 'bench']);

// --- the tools: { name, pre(i), attach(c), detach(c), post(c), prove(c) } ------------------------
const floor = {
  name: 'node -e 0',
  async pre() { return {}; },
  async attach(c) { node(['-e', '0']); c.cpuAttach = lastCpu; },
  async detach(c) { node(['-e', '0']); c.cpuDetach = lastCpu; },
  async post() {},
};

/** `netplumb create` + `netplumb rm` on a state: through its daemon when one owns it. */
function netplumbCli(name, state, hostPort, clientNs, host) {
  return {
    name,
    async pre(i) { return { name: `s${i}` }; },
    async attach(c) { c.out = cli(state, ['create', '--name', c.name, '--network', 'bench', '-p', `${hostPort}:80`]); c.cpuAttach = lastCpu; },
    async detach(c) { cli(state, ['rm', c.name]); c.cpuDetach = lastCpu; },
    async post() {},
    async prove(c) {
      const [s] = JSON.parse(cli(state, ['ps', '--json'])).filter((x) => x.name === c.name);
      const ns = await Netns.open({ path: s.netnsPath });
      try {
        return await proveTcp({ serverNs: ns, address: s.networks[0].ipv4, containerPort: 80, clientNs, host, hostPort });
      } finally { ns.close(); }
    },
  };
}
const viaDaemon = netplumbCli('netplumb CLI, daemon', DSTATE, 8080, dwan, DHOST_WAN);

// For scale: the daemon's own cost, from a client that stays (no process per call).
const remote = await Engine.connect({ socket: SOCKET });
const viaConnect = {
  name: 'Engine.connect, one process',
  async pre(i) { return { name: `r${i}` }; },
  async attach(c) { await remote.sandboxes.create({ name: c.name, network: 'bench', publish: ['8085:80'] }); },
  async detach(c) { await remote.sandboxes.remove(c.name); },
  async post() {},
};
const inProcess = netplumbCli('netplumb CLI, in-process', LSTATE, 8084, wan, HOST_WAN);

// --- warm-up and proof, then N timed rounds ---------------------------------------------------------
const tools = [floor, viaDaemon, inProcess, viaConnect, cni, netavark];
for (const t of tools) {
  if (t.skip || !t.prove) continue;
  let c;
  try {
    c = await t.pre(100000);
    await t.attach(c);
    t.proofMs = await t.prove(c);
    await t.detach(c);
    await t.post(c);
  } catch (e) {
    t.skip = `failed in the warm-up round: ${e.message.trim()}`;
    if (c) await t.post(c).catch(() => undefined);
  }
}
for (const t of tools) if (t.skip) console.log(`skipping ${t.name}: ${t.skip}`);
const active = tools.filter((t) => !t.skip);
for (const t of active) t.samples = { create: [], rm: [], total: [], cpuCreate: [], cpuRm: [] };
for (let i = 0; i < N; i++) {
  for (const t of active) {
    const { c, attach: a, detach: d } = await timeRound(t, i);
    if (c.cpuAttach !== undefined) t.samples.cpuCreate.push(c.cpuAttach);
    if (c.cpuDetach !== undefined) t.samples.cpuRm.push(c.cpuDetach);
    t.samples.create.push(a);
    t.samples.rm.push(d);
    t.samples.total.push(a + d);
  }
}

// --- report -----------------------------------------------------------------------------------------------
console.log(`\nCreate + rm of one sandbox with one published port, one process per call, median of ${N} (ms), round-robin in one run`);
console.log(`  ${machineLine()}`);
const base = viaDaemon;
console.log('  tool'.padEnd(34) + 'create'.padStart(9) + 'rm'.padStart(9) + 'total'.padStart(9) + '  vs daemon CLI   proof');
const rows = active.map((t) => ({ name: t.name, create: median(t.samples.create), rm: median(t.samples.rm), total: median(t.samples.total), proofMs: t.proofMs }));
const baseTotal = median(base.samples.total);
for (const r of rows)
  console.log(`  ${r.name}`.padEnd(34) + fmt(r.create).padStart(9) + fmt(r.rm).padStart(9) + fmt(r.total).padStart(9) + `${(r.total / baseTotal).toFixed(1)}×`.padStart(14) + (r.proofMs !== undefined ? `   TCP via host port ok, ${fmt(r.proofMs)} ms` : ''));
// Above the floor, paired by round: each call less the `node -e 0` of the same round, in wall and in CPU time.
const above = (t, k) => median(t.samples[k].map((x, i) => x - floor.samples[k][i]));
for (const t of [viaDaemon, inProcess].filter((x) => !x.skip))
  console.log(`  ${t.name} above node -e 0 (paired by round): wall create +${fmt(above(t, 'create'))} ms, rm +${fmt(above(t, 'rm'))} ms; CPU create +${fmt(above(t, 'cpuCreate'))} ms, rm +${fmt(above(t, 'cpuRm'))} ms (node -e 0 itself: ${fmt(median(floor.samples.cpuCreate))} ms CPU)`);
console.log(`\n  firewall backends: CNI ${backends.cni}; ${backends.netavark}; netplumb: nf_tables over netlink (table inet netplumb, one map element per port)`);

await remote.close();
cli(LSTATE, ['network', 'rm', 'bench']);
cli(DSTATE, ['network', 'rm', 'bench']);
daemon.kill('SIGTERM');
await new Promise((r) => daemon.on('exit', r));
const r2 = (v) => (v === undefined ? null : Number(v.toFixed(2)));
console.log('\nJSON ' + JSON.stringify({
  bench: 'model/cli', iterations: N,
  rows: Object.fromEntries(rows.map((r) => [r.name, { create: r2(r.create), rm: r2(r.rm), total: r2(r.total), vsDaemonCli: r2(r.total / baseTotal) }])),
  aboveNode: Object.fromEntries([viaDaemon, inProcess].filter((x) => !x.skip).map((t) => [t.name, { create: r2(above(t, 'create')), rm: r2(above(t, 'rm')), cpuCreate: r2(above(t, 'cpuCreate')), cpuRm: r2(above(t, 'cpuRm')) }])),
  nodeCpu: r2(median(floor.samples.cpuCreate)),
  skipped: Object.fromEntries(tools.filter((t) => t.skip).map((t) => [t.name, t.skip])),
}));
wan.close();
dwan.close();
await Netns.remove('bench-dwan');
await dhost.delete();
