// Issue 12's benchmark: CNI ADD + DEL of one pod with one port mapping, each
// plugin exec'd as a runtime execs it (config on stdin, CNI_* in the
// environment, a namespace the "runtime" made before and deletes after),
// round-robin in one run. The exec itself is bench/cni/exec-plugin.c, built
// here: clone(CLONE_VM|CLONE_VFORK) + execve with pipes, as Go's os/exec does
// for containerd and the kubelet, timed inside it (Node's spawnSync costs
// several ms more per exec, which no runtime pays):
//
//   netplumb, shim → netplumbd   the native shim forwarding to netplumbd (the
//                                built daemon, dist/daemon/main.js, started here)
//   CNI bridge+host-local+portmap  Debian's reference plugins as one conflist:
//                                ADD in order with prevResult, DEL in reverse with the cached result
//   /bin/true                    the cost of an exec itself on this machine (through
//                                exec-plugin, and through Node's spawnSync for comparison)
// and afterwards, with netplumbd stopped (a live daemon owns the firewall table
// and its state root, so nothing else may write them meanwhile):
//   netplumb, shim in-process    the same shim with no daemon: it execs Node on dist/cli/cni-plugin.cjs
//
// The daemon's own work per request is read from its metrics
// (netplumb_operation_duration_seconds{operation="cni"}, sum before and after
// each round); the shim's overhead = (shim exec, wall time) − that work, and
// beyond that the exec of /bin/true (a dynamically linked program). Every
// tool's round starts after a short idle pause: the scrape just before it
// leaves netplumbd work to finish (the answer's garbage), which would
// otherwise be timed as part of the ADD, and no runtime scrapes before an ADD. One
// untimed warm-up round per tool proves its host port with a TCP connection
// from a "wan" namespace.
//
// Run: npm run build && scripts/sandbox node bench/cni/add-del.mjs  (or npm run bench:cni)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCni } from '../../dist/cni/install.js';
import { assertSandbox, fmt, median, now, run } from '../lib/stats.mjs';
import { HOST_WAN, Netns, debVersion, machineLine, makeWan, proveTcp } from '../model/common.mjs';

assertSandbox();
const N = Number(process.env.BENCH_ITER ?? 30);
/** The pause before each timed round (see above). */
const IDLE_MS = 20;
const ROOT = new URL('../..', import.meta.url).pathname;
const CNI_PLUGINS = process.env.CNI_PLUGINS ?? '/usr/lib/cni';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const WORK = '/run/netplumb-bench-cni';
const STATE = `${WORK}/state`;
const BIN = `${WORK}/bin`;
const SOCKET = `${WORK}/netplumb.sock`;
const hex64 = (i, salt) => (salt + i.toString(16)).padStart(64, '0');

rmSync(WORK, { recursive: true, force: true });
mkdirSync(BIN, { recursive: true });
const EXEC = `${WORK}/exec-plugin`;
execFileSync('cc', ['-O2', '-Wall', '-o', EXEC, fileURLToPath(new URL('./exec-plugin.c', import.meta.url))], { stdio: 'inherit' });
const shim = join(ROOT, 'build/Release/netplumb-cni');
if (!existsSync(shim)) throw new Error(`${shim} is missing: npm run build:native`);
await installCni({ shim, node: process.execPath, entry: join(ROOT, 'dist/cli/cni-plugin.cjs'), binDir: BIN });
const missing = ['bridge', 'host-local', 'portmap'].filter((p) => !existsSync(`${CNI_PLUGINS}/${p}`));
for (const p of ['bridge', 'host-local', 'portmap']) if (!missing.includes(p)) symlinkSync(`${CNI_PLUGINS}/${p}`, `${BIN}/${p}`);

// --- netplumbd, a process of its own ---------------------------------------------------------------------
let daemon;
function ask(method, path) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: SOCKET, method, path }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode, text: b }));
    });
    req.on('error', reject);
    req.end();
  });
}
async function startDaemon() {
  // Its log (one line per CNI request at the default level, as in production) goes nowhere.
  daemon = spawn(process.execPath, [join(ROOT, 'dist/daemon/main.js'), '--state-dir', STATE, '-H', `unix://${SOCKET}`, '-b', 'none'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((_, reject) => daemon.once('exit', (c) => reject(new Error(`netplumbd exited ${c}`))));
  for (;;) {
    const up = await Promise.race([ask('GET', '/_ping').then((r) => r.status === 200, () => false), exited]);
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
async function stopDaemon() {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
}
/** Seconds netplumbd spent in CNI requests so far (its operation histogram's sum). */
async function cniSeconds() {
  const m = /^netplumb_operation_duration_seconds_sum\{operation="cni"\} (\S+)$/m.exec((await ask('GET', '/metrics')).text);
  return m ? Number(m[1]) : 0;
}
await startDaemon();

// --- the tools ---------------------------------------------------------------------------------------------
/** One exec of `program` through exec-plugin; returns [ms, exit status, stdout]. */
function runtimeExec(program, input, env) {
  const r = spawnSync(EXEC, [program], { input, encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`exec-plugin ${program} failed (${r.status}): ${r.stderr}`);
  const nl = r.stdout.indexOf('\n');
  const [ns, status] = r.stdout.slice(0, nl).split(' ').map(Number);
  return [ns / 1e6, status, r.stdout.slice(nl + 1), r.stderr];
}
/** One exec, as libcni does it; returns [ms, parsed stdout]. */
function exec(type, command, conf, c, env = {}) {
  const [ms, status, stdout, stderr] = runtimeExec(`${BIN}/${type}`, JSON.stringify(conf),
    { PATH, CNI_COMMAND: command, CNI_CONTAINERID: c.id, CNI_NETNS: c.path, CNI_IFNAME: 'eth0', CNI_PATH: BIN, ...env });
  if (status !== 0) throw new Error(`${type} ${command} failed (${status}): ${stdout}${stderr}`);
  return [ms, stdout.trim() ? JSON.parse(stdout) : undefined];
}
const netplumbConf = (name, subnet, hostPort) => ({
  cniVersion: '1.1.0', name, type: 'netplumb', subnet, stateDir: STATE,
  runtimeConfig: { portMappings: [{ hostPort, containerPort: 80, protocol: 'tcp' }] },
});
function shimTool(name, subnet, hostPort, env) {
  return {
    name, hostPort,
    add(c) { const [ms, r] = exec('netplumb', 'ADD', netplumbConf(name.replace(/\W+/g, '-'), subnet, hostPort), c, env); c.result = r; return ms; },
    del(c) { return exec('netplumb', 'DEL', { ...netplumbConf(name.replace(/\W+/g, '-'), subnet, hostPort), prevResult: c.result }, c, env)[0]; },
  };
}
const viaDaemonEnv = { NETPLUMB_HOST: `unix://${SOCKET}` };
const viaDaemon = { ...shimTool('netplumb, shim → netplumbd', '10.60.0.0/16', 8081, viaDaemonEnv), daemonTimed: true };
const inProcess = shimTool('netplumb, shim in-process', '10.61.0.0/16', 8082, { NETPLUMB_HOST: `unix://${WORK}/nobody.sock` });

const reference = {
  name: 'CNI bridge+host-local+portmap', hostPort: 8083,
  skip: missing.length ? `${missing.join(', ')} not in ${CNI_PLUGINS} (bench/model/ensure-peers installs containernetworking-plugins)` : undefined,
  list: [
    { type: 'bridge', bridge: 'cni-bench0', isGateway: true, ipMasq: true, hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.62.0.0/16' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: `${WORK}/host-local` } },
    { type: 'portmap', capabilities: { portMappings: true }, snat: true },
  ],
  conf(p, prev) {
    const { capabilities, ...rest } = p;
    return { cniVersion: '1.0.0', name: 'benchref', ...rest, ...(prev ? { prevResult: prev } : {}),
      ...(capabilities ? { runtimeConfig: { portMappings: [{ hostPort: this.hostPort, containerPort: 80, protocol: 'tcp' }] } } : {}) };
  },
  add(c) {
    let ms = 0;
    for (const p of this.list) { const [t, r] = exec(p.type, 'ADD', this.conf(p, c.result), c); ms += t; c.result = r; }
    return ms;
  },
  del(c) {
    let ms = 0;
    for (const p of [...this.list].reverse()) ms += exec(p.type, 'DEL', this.conf(p, c.result), c)[0];
    return ms;
  },
};

// --- warm-up with a TCP proof, then N rounds ------------------------------------------------------------
const wan = await makeWan('cni-bench-wan');
let serial = 0;
async function pod() {
  const i = serial++;
  const name = `cb${i}`;
  return { id: hex64(i, 'cafe'), name, path: `/run/netns/${name}`, ns: await Netns.create({ name }) };
}
async function warmUp(t) {
  if (t.skip) return;
  const c = await pod();
  try {
    await t.add(c);
    const address = c.result.ips[0].address.split('/')[0];
    t.proofMs = await proveTcp({ serverNs: c.ns, address, containerPort: 80, clientNs: wan, host: HOST_WAN, hostPort: t.hostPort });
    await t.del(c);
  } catch (e) {
    t.skip = `failed in the warm-up round: ${e.message.trim()}`;
  }
  await c.ns.delete();
}

// CPU time: load on a shared machine stretches wall time (every wake-up waits
// for a core), not the work. Each tool runs its rounds in one block, and the
// CPU time it cost is read from the kernel: the exec'd processes and what they
// waited for (this process's children) and netplumbd's own. /proc counts in
// clock ticks, so a block of N rounds is good to ±1 tick / N.
const TICK = 1000 / Number(run('getconf', ['CLK_TCK']).trim());
const statFields = (path) => { const t = readFileSync(path, 'utf8'); return t.slice(t.lastIndexOf(')') + 2).split(' ').map(Number); };
const childrenCpu = () => { const f = statFields('/proc/self/stat'); return (f[13] + f[14]) * TICK; };
const daemonCpu = () => { const f = statFields(`/proc/${daemon.pid}/stat`); return (f[11] + f[12]) * TICK; };
const cpuNow = (t) => childrenCpu() + (t.daemonTimed ? daemonCpu() : 0);
async function timeRounds(tools) {
  for (const t of tools) t.samples = { add: [], del: [], total: [], work: [], overhead: [] };
  for (let i = 0; i < N; i++) {
    for (const t of tools) {
      const c = await pod();
      const w0 = t.daemonTimed ? await cniSeconds() : 0;
      await new Promise((r) => setTimeout(r, IDLE_MS));
      const a = await t.add(c);
      const d = await t.del(c);
      await c.ns.delete();
      t.samples.add.push(a);
      t.samples.del.push(d);
      t.samples.total.push(a + d);
      if (t.daemonTimed) {
        const work = ((await cniSeconds()) - w0) * 1000;
        t.samples.work.push(work);
        // Per request: what the exec, the connection and the transfer cost beyond netplumbd's own work.
        t.samples.overhead.push((a + d - work) / 2);
      }
    }
  }
  for (const t of tools) {
    let cpu = 0;
    for (let i = 0; i < N; i++) {
      const c = await pod();
      const before = cpuNow(t);
      await t.add(c);
      await t.del(c);
      cpu += cpuNow(t) - before;
      await c.ns.delete();
    }
    t.cpu = cpu / N;
  }
}

// Part 1, netplumbd running: the shim through it against the reference plugins, round-robin.
const withDaemon = [viaDaemon, reference];
for (const t of withDaemon) await warmUp(t);
const linksBefore = JSON.parse(run('ip', ['-j', 'link', 'show'])).length;
const part1 = withDaemon.filter((t) => !t.skip);
await timeRounds(part1);
const exec0 = [];
const exec0Node = [];
// VERSION through the shim and the daemon: the whole path with next to no work at its end.
const versionViaShim = [];
for (let i = 0; i < N; i++) {
  exec0.push(runtimeExec('/bin/true', '', { PATH })[0]);
  const t0 = now();
  spawnSync('/bin/true');
  exec0Node.push(now() - t0);
  versionViaShim.push(exec('netplumb', 'VERSION', { cniVersion: '1.1.0' }, { id: '', path: '' }, viaDaemonEnv)[0]);
}
const blockCpu = (fn, withDaemonCpu) => {
  const before = childrenCpu() + (withDaemonCpu ? daemonCpu() : 0);
  for (let i = 0; i < N; i++) fn();
  return (childrenCpu() + (withDaemonCpu ? daemonCpu() : 0) - before) / N;
};
const trueCpu = blockCpu(() => runtimeExec('/bin/true', '', { PATH }), false);
const versionCpu = blockCpu(() => exec('netplumb', 'VERSION', { cniVersion: '1.1.0' }, { id: '', path: '' }, viaDaemonEnv), true);
await ask('POST', '/netplumb/v1/settle');
const linksAfter = JSON.parse(run('ip', ['-j', 'link', 'show'])).length;
await stopDaemon();

// Part 2, no daemon: the shim runs netplumb in-process on the same state root.
await warmUp(inProcess);
if (!inProcess.skip) await timeRounds([inProcess]);

// --- report -------------------------------------------------------------------------------------------
const tools = [viaDaemon, inProcess, reference];
const active = tools.filter((t) => !t.skip);
for (const t of tools) if (t.skip) console.log(`skipping ${t.name}: ${t.skip}`);
const m = (xs) => median(xs);
console.log(`\nCNI ADD + DEL of one pod with one port mapping, median of ${N} (ms)`);
console.log(`  ${machineLine()}`);
console.log('  tool'.padEnd(40) + 'ADD'.padStart(9) + 'DEL'.padStart(9) + 'total'.padStart(9) + '   proof (TCP via host port)');
for (const t of active)
  console.log(`  ${t.name}`.padEnd(40) + fmt(m(t.samples.add)).padStart(9) + fmt(m(t.samples.del)).padStart(9) + fmt(m(t.samples.total)).padStart(9) + `   ok, ${fmt(t.proofMs)} ms`);
if (!viaDaemon.skip) console.log(`  netplumbd's own work (its metrics)`.padEnd(58) + fmt(m(viaDaemon.samples.work)).padStart(9));
console.log(`  exec of /bin/true (as a runtime execs)`.padEnd(40) + fmt(m(exec0)).padStart(9) + `   CPU ${fmt(trueCpu)} ms (with exec-plugin's own)`);
console.log(`  exec of /bin/true (Node's spawnSync)`.padEnd(40) + fmt(m(exec0Node)).padStart(9) + '   (not used for the rows above)');
console.log(`  VERSION through the shim and netplumbd`.padEnd(40) + fmt(m(versionViaShim)).padStart(9) + `   CPU ${fmt(versionCpu)} ms (shim, daemon)`);
console.log('\n  CPU time per ADD + DEL (ms; exec\'d processes and exec-plugin, netplumbd, the kernel work they asked for)');
for (const t of active) console.log(`  ${t.name}`.padEnd(40) + fmt(t.cpu).padStart(9));
if (!reference.skip)
  for (const t of active.filter((x) => x !== reference)) console.log(`  reference ÷ ${t.name}`.padEnd(40) + `${(reference.cpu / t.cpu).toFixed(1)}×`.padStart(9));
const total = (t) => m(t.samples.total);
const ratios = {};
if (!reference.skip) {
  for (const t of active.filter((x) => x !== reference)) ratios[`reference / ${t.name}`] = Number((total(reference) / total(t)).toFixed(1));
  console.log('\n  ratio (reference plugins ÷ netplumb; the in-process row was measured after the others, with netplumbd stopped)');
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.replace('reference / ', '')}`.padEnd(40) + `${v}×`.padStart(9));
}
const overhead = viaDaemon.skip ? NaN : m(viaDaemon.samples.overhead);
const own = overhead - m(exec0);
console.log(`\n  per request, the shim's wall time beyond netplumbd's own work (exec, connect, request and answer): median ${fmt(overhead)} ms;` +
  ` an exec of /bin/true alone takes ${fmt(m(exec0))} ms, so the shim's own part beyond any exec is ${fmt(own)} ms`);
if (!reference.skip && !viaDaemon.skip) {
  const r = total(reference) / total(viaDaemon);
  const c = reference.cpu / viaDaemon.cpu;
  console.log(`  issue 12 expects ≥20× against the reference plugins through the shim → ${r.toFixed(1)}× in wall time, ${c.toFixed(1)}× in CPU time: ${r >= 20 ? 'met' : 'NOT met'}; ` +
    `the shim's overhead < 2 ms → ${fmt(overhead)} ms with the exec, ${fmt(own)} ms beyond it: ${overhead < 2 ? 'met' : own < 2 ? 'met beyond the exec only' : 'NOT met'}`);
}
console.log(`  netplumb's DEL disables the veth's bridge port at once, takes it down just after and deletes it in the background (the runtime deletes the namespace next, which takes the pair along); in-process, the process waits for that delete before it exits`);
console.log(`  reference: containernetworking-plugins ${debVersion('containernetworking-plugins')} (portmap through iptables)`);
console.log(`  links in the host namespace before the timed rounds ${linksBefore}, after ${linksAfter}${linksBefore === linksAfter ? ' (nothing leaked)' : ' (LEAK)'}`);

wan.close();
const r2 = (v) => Number(v.toFixed(2));
console.log('\nJSON ' + JSON.stringify({
  bench: 'cni/add-del', iterations: N,
  rows: Object.fromEntries(active.map((t) => [t.name, { add: r2(m(t.samples.add)), del: r2(m(t.samples.del)), total: r2(total(t)), cpu: r2(t.cpu) }])),
  daemonWork: viaDaemon.skip ? null : r2(m(viaDaemon.samples.work)),
  execTrue: r2(m(exec0)), execTrueNodeSpawn: r2(m(exec0Node)), execTrueCpu: r2(trueCpu), versionViaShim: r2(m(versionViaShim)), versionViaShimCpu: r2(versionCpu), shimOverhead: r2(overhead), shimOverheadBeyondExec: r2(own), ratios,
  cpuRatios: reference.skip ? {} : Object.fromEntries(active.filter((t) => t !== reference).map((t) => [`reference / ${t.name}`, Number((reference.cpu / t.cpu).toFixed(1))])),
  loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  skipped: Object.fromEntries(tools.filter((t) => t.skip).map((t) => [t.name, t.skip])),
}));
