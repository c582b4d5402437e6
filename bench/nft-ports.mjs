// Publishing 10,000 ports, and what a connection pays for them.
//
// 1. Publishing: netplumb adds 10,000 elements to a DNAT map in one batch;
//    nft -f loads a file of 10,000 one-port DNAT rules (what port publishers
//    that generate rules do); one nft process per rule (a sample of 200,
//    extrapolated to 10,000).
// 2. Packet path: TCP connect time from a "wan" namespace to the 1st and the
//    10,000th published port, through the map vs through a chain of 10,000
//    one-port rules (nat chains see the first packet of each connection).
//
// Run inside the sandbox after building: npx tsc -p tsconfig.build.json &&
//   scripts/sandbox node bench/nft-ports.mjs
import { writeFileSync } from 'node:fs';
import { Netns, Nftables, Sysctl, connectTcp, listenTcp, nft } from '../dist/index.js';
import { assertSandbox, fmt, median, now, run } from './lib/stats.mjs';

assertSandbox();
const PORTS = Number(process.env.BENCH_PORTS ?? 10000);
const SAMPLE = Number(process.env.BENCH_NFT_SAMPLE ?? 200);
const CONNECTS = Number(process.env.BENCH_CONNECTS ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FIRST_PORT = 10000;
const HOST_ADDR = '198.18.0.1';
const SERVER_ADDR = '172.30.0.2';

const ip = (ns, ...args) => run('ip', ['-n', ns, ...args]);
const nftIn = (ns, ...args) => run('ip', ['netns', 'exec', ns, 'nft', ...args]);

// Topology (iproute2 inside the sandbox): host ⟷ wan over a veth, server behind br0.
const host = await Netns.create({ name: 'b-host' });
const wan = await Netns.create({ name: 'b-wan' });
const server = await Netns.create({ name: 'b-srv' });
ip('b-host', 'link', 'add', 'h-wan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'b-wan');
ip('b-host', 'addr', 'add', `${HOST_ADDR}/24`, 'dev', 'h-wan');
ip('b-host', 'link', 'set', 'h-wan', 'up');
ip('b-wan', 'addr', 'add', '198.18.0.2/24', 'dev', 'eth0');
ip('b-wan', 'link', 'set', 'eth0', 'up');
ip('b-wan', 'route', 'add', '172.30.0.0/24', 'via', HOST_ADDR);
ip('b-host', 'link', 'add', 'br0', 'type', 'bridge');
ip('b-host', 'addr', 'add', '172.30.0.1/24', 'dev', 'br0');
ip('b-host', 'link', 'set', 'br0', 'up');
ip('b-host', 'link', 'add', 'v-srv', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'b-srv');
ip('b-host', 'link', 'set', 'v-srv', 'master', 'br0', 'up');
ip('b-srv', 'addr', 'add', `${SERVER_ADDR}/24`, 'dev', 'eth0');
ip('b-srv', 'link', 'set', 'eth0', 'up');
ip('b-srv', 'route', 'add', 'default', 'via', '172.30.0.1');
await new Sysctl(host).set('net.ipv4.ip_forward', 1);
const srv = await listenTcp(server, { address: SERVER_ADDR, port: 80 }, (s) => s.destroy());

const nf = new Nftables(host);
const { table, chain, rule, nftMap, ip: ipv4, meta, th, fib } = nft;
const t = table('inet', 'netplumb');
const pre = chain(t, 'prerouting', { type: 'nat', hook: 'prerouting', priority: 'dstnat', policy: 'accept' });
const ports = nftMap(t, 'ports', { key: ['ipv4_addr', 'inet_proto', 'inet_service'], data: ['ipv4_addr', 'inet_service'] });
const entries = Array.from({ length: PORTS }, (_, i) => ports.entry([HOST_ADDR, 'tcp', FIRST_PORT + i], [SERVER_ADDR, 80]));

async function setupMap() {
  await nf.transaction()
    .addTable(t).addChain(pre).addSet(ports)
    .addRule(rule(pre).match(fib.daddr.type.eq('local')).dnat(ipv4.daddr.concat(meta.l4proto).concat(th.dport).map(ports)).build())
    .commit();
}

const ruleLine = (p) => `add rule inet rules prerouting ip daddr ${HOST_ADDR} tcp dport ${p} dnat ip to ${SERVER_ADDR}:80`;
const rulesHeader = 'add table inet rules\nadd chain inet rules prerouting { type nat hook prerouting priority dstnat; policy accept; }\n';
// nft sizes its socket's send buffer with SO_SNDBUF, capped by the host's
// net.core.wmem_max (not settable inside the sandbox): one batch of 10,000
// rules is "Message too long" there (measured: 200 rules fit, 400 do not). The rules go in files of RULES_PER_FILE,
// one nft -f each; the header file makes the table and chain.
const RULES_PER_FILE = Number(process.env.BENCH_RULES_PER_FILE ?? 200);
const rulesFiles = [];
for (let i = 0, n = 0; i < PORTS; i += RULES_PER_FILE, n++) {
  const f = `/tmp/netplumb-bench-rules-${n}.nft`;
  const lines = Array.from({ length: Math.min(RULES_PER_FILE, PORTS - i) }, (_, k) => ruleLine(FIRST_PORT + i + k));
  writeFileSync(f, (n === 0 ? rulesHeader : '') + lines.join('\n') + '\n');
  rulesFiles.push(f);
}
const loadRules = () => { for (const f of rulesFiles) nftIn('b-host', '-f', f); };

// --- 1. publishing ---------------------------------------------------------
const publish = { netplumb: [], nftFile: [], nftEach: [] };
for (let r = 0; r < RUNS; r++) {
  await setupMap();
  let t0 = now();
  await nf.transaction().addElements(ports, entries).commit();
  publish.netplumb.push(now() - t0);
  await nf.transaction().deleteTable(t).commit();

  t0 = now();
  loadRules();
  publish.nftFile.push(now() - t0);
  nftIn('b-host', 'delete', 'table', 'inet', 'rules');
}
run('ip', ['netns', 'exec', 'b-host', 'nft', '-f', '-'], rulesHeader);
{
  const t0 = now();
  for (let i = 0; i < SAMPLE; i++) run('ip', ['netns', 'exec', 'b-host', 'nft', ...ruleLine(FIRST_PORT + i).split(' ')]);
  publish.nftEach.push(((now() - t0) / SAMPLE) * PORTS);
  nftIn('b-host', 'delete', 'table', 'inet', 'rules');
}

// --- 2. packet path --------------------------------------------------------
async function connectMs(port) {
  const xs = [];
  for (let i = 0; i < CONNECTS; i++) {
    const t0 = now();
    const s = await connectTcp(wan, { host: HOST_ADDR, port });
    xs.push(now() - t0);
    s.destroy();
  }
  return median(xs);
}

await setupMap();
await nf.transaction().addElements(ports, entries).commit();
const viaMap = { first: await connectMs(FIRST_PORT), last: await connectMs(FIRST_PORT + PORTS - 1) };
await nf.transaction().deleteTable(t).commit();

loadRules();
const viaRules = { first: await connectMs(FIRST_PORT), last: await connectMs(FIRST_PORT + PORTS - 1) };
nftIn('b-host', 'delete', 'table', 'inet', 'rules');

// --- report ----------------------------------------------------------------
const base = median(publish.netplumb);
console.log(`\nPublishing ${PORTS} ports (median of ${RUNS}; per-process nft: ${SAMPLE} timed, extrapolated)`);
for (const [name, xs] of [
  ['netplumb: one batch of map elements', publish.netplumb],
  [`nft -f: ${rulesFiles.length} files, ${PORTS} DNAT rules`, publish.nftFile],
  ['nft: one process per rule', publish.nftEach],
]) {
  const m = median(xs);
  console.log(`  ${name.padEnd(44)}${fmt(m).padStart(10)} ms  ${m === base ? '' : (m / base).toFixed(1) + '× netplumb'}`);
}
console.log(`\nTCP connect from wan, median of ${CONNECTS} (ms)`);
console.log(`  ${'path'.padEnd(44)}${'1st port'.padStart(10)}${`${PORTS}th port`.padStart(14)}   last/first`);
for (const [name, v] of [
  ['map lookup (1 rule + 1 map)', viaMap],
  [`chain of ${PORTS} one-port DNAT rules`, viaRules],
]) {
  console.log(`  ${name.padEnd(44)}${fmt(v.first).padStart(10)}${fmt(v.last).padStart(14)}   ${(v.last / v.first).toFixed(2)}×`);
}
console.log(`  ${PORTS}th port: rules vs map ${(viaRules.last / viaMap.last).toFixed(2)}×`);

srv.close();
for (const n of [server, wan, host]) await n.delete();
