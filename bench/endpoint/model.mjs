// The Docker model's endpoint beside the primitives and the C reference
// (issue 14): one sandbox on a network with one published port, made by
//   - the primitives: one plan of exactly the calls the Engine sends
//     (netns.create, its cookie, owner-marked veth with the MAC, hairpin,
//     address, route, the port's owner-marked map element) and the teardown
//     plan (element delete, netns.delete, netns.heldPeers for the host end);
//   - the Engine, cold: engine.sandboxes.create / remove;
//   - the Engine from its warm pool (refilled between rounds, untimed).
// Rounds go round-robin between the three, so load on the machine falls on
// all alike. A teardown removes the endpoint made LAG rounds earlier: the
// kernel keeps references to a namespace that was just configured for a
// few tens of ms (deferred work), and a remove that finds the namespace
// still referenced takes the host end down, as it must when a process
// holds it (the engine's reaper deletes it later, untimed);
// back-to-back create+remove is measured apart.
import { Plan, linkCalls, netnsCalls, addrCalls, routeCalls } from '../../dist/index.js';
import { nftCalls } from '../../dist/nft/nftables.js';
import { publishChanges, unpublishChanges } from '../../dist/model/firewall/index.js';
import { Engine } from '../../dist/model/index.js';
import { claimStateRoot } from '../../dist/store/daemon-claim.js';
import { Netns } from '../../dist/index.js';
import { median, now, run } from '../lib/stats.mjs';

export const LAG = 10;
// V8 optimizes a function once it has run a budget of bytecode that scales with its size; a create runs most
// of its functions once, so they are optimized only after about a thousand creates (node --trace-opt shows the
// Engine's functions still being compiled at 900). 2,000 untimed rounds time the code a long-lived engine runs;
// BENCH_WARMUP=30 times a young process.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2000);
export const SUBNET = '172.30.0.0/16';
const GATEWAY = '172.30.0.1';

/**
 * An engine over a state root on the sandbox's tmpfs (made fresh unless `shared`), with a warm pool of `pool` on
 * network 'bench'. BENCH_CLAIM=1: this process first claims the root as netplumbd does (its changes then take no
 * lock file each).
 */
export async function openBenchEngine(tag, pool = 0, shared = false) {
  const root = `/run/netplumb-bench-${tag}`;
  if (!shared) run('rm', ['-rf', root]);
  if (!shared && process.env.BENCH_CLAIM === '1') await claimStateRoot(`${root}/run`, { sockets: [], version: 'bench' });
  return Engine.open({ host: Netns.host(), stateDir: root, etcDir: `${root}/etc`, dns: false, pool: [{ network: 'bench', size: pool }] });
}

/** Per-call timings of the plans an engine runs, by op list (Plan.run wrapped in this process). */
export function planTimings() {
  const byPlan = new Map();
  const orig = Plan.prototype.run;
  Plan.prototype.run = async function (o) {
    if (o?.timings) return orig.call(this, o);
    const { results, timings } = await orig.call(this, { timings: true });
    const key = this.calls.map((c) => c.op).join(',');
    if (!byPlan.has(key)) byPlan.set(key, []);
    byPlan.get(key).push(timings);
    return results;
  };
  return {
    byPlan,
    reset: () => byPlan.clear(),
    restore: () => {
      Plan.prototype.run = orig;
    },
  };
}

const addr = (i) => `172.30.${100 + ((i >> 8) & 0x7f)}.${(i & 0xff) || 1}`;
const mac = (i) => `02:42:ac:1e:${(100 + ((i >> 8) & 0x7f)).toString(16)}:${((i & 0xff) || 1).toString(16).padStart(2, '0')}`;
// The Engine marks what it makes with its state root's owner: device group and element comment, as here.
const OWNER_GROUP = 0x2bad1dea;
const OWNER_TAG = OWNER_GROUP.toString(16).padStart(8, '0');
const port = (i) => ({ endpoint: `p${i}`, owner: OWNER_TAG, protocol: 'tcp', hostPort: 30000 + (i % 5000), containerIp: addr(i), containerPort: 80 });

/** The Engine's create plan, built from the primitives by hand. */
export function primitivePlan(i, bridge) {
  const p = new Plan(null);
  const ns = p.add(netnsCalls.create({ name: `pp${i}`, loopbackUp: true }));
  p.add(netnsCalls.cookie(), ns);
  p.add(
    linkCalls.addVeth({
      name: `vpp${i}`,
      master: bridge,
      up: true,
      deviceGroup: OWNER_GROUP,
      readBack: false,
      addrGenMode: 'none',
      peer: { name: 'eth0', netns: ns, up: true, address: mac(i), deviceGroup: OWNER_GROUP, addrGenMode: 'none' },
    }),
  );
  p.add(linkCalls.setBridgePort(`vpp${i}`, { hairpin: true }, { readBack: false }));
  p.add(addrCalls.add({ dev: 'eth0', address: `${addr(i)}/16`, readBack: false }), ns);
  p.add(routeCalls.add({ destination: 'default', gateway: GATEWAY }), ns);
  p.add(nftCalls.apply(publishChanges([port(i)]), { readBack: false }));
  return p;
}

/** The Engine's teardown plan: the port's element, then the namespace (its pair goes with it; taken down here if someone still held it). */
export function primitiveTeardown(i) {
  const p = new Plan(null);
  p.add(nftCalls.apply(unpublishChanges([port(i)]), { readBack: false }));
  p.add(netnsCalls.remove(`pp${i}`));
  p.add(netnsCalls.heldPeers([`vpp${i}`], 'down'));
  return p;
}

/**
 * CPU time this process spent since `c0` (ms), all its threads, kernel time
 * of their system calls included: what an operation costs, whatever else the
 * machine runs (wall time on a loaded machine also holds the waits for a CPU).
 */
export function cpuMs(c0) {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
}

/** The three ways side by side, N rounds; medians of setup and teardown, ms of wall and of CPU time. */
export async function modelEndpoint(N) {
  // Two engines on one state root and one network: one without a pool, one with a pool of one.
  const cold = await openBenchEngine('endpoint');
  const pooled = await openBenchEngine('endpoint', 1, true);
  const net = await cold.networks.create({ name: 'bench', subnet: SUBNET });
  const bridge = net.Options['com.docker.network.bridge.name'];
  await pooled.pool.settled();

  const tools = [
    {
      name: 'primitives, the same plan',
      setup: async (i) => (await primitivePlan(i, bridge).run())[0].close(),
      teardown: async (i) => primitiveTeardown(i).run(),
    },
    {
      name: 'Engine, cold',
      setup: (i) => cold.sandboxes.create({ name: `c${i}`, network: 'bench', publish: [`${40000 + (i % 2000)}:80`] }),
      teardown: (i) => cold.sandboxes.remove(`c${i}`),
    },
    {
      name: 'Engine, from the warm pool',
      before: () => pooled.pool.settled(),
      setup: (i) => pooled.sandboxes.create({ name: `w${i}`, network: 'bench', publish: [`${42000 + (i % 2000)}:80`] }),
      teardown: (i) => pooled.sandboxes.remove(`w${i}`),
    },
  ];
  for (const t of tools) t.s = { setup: [], teardown: [], setupCpu: [], teardownCpu: [] };
  // Warm-up rounds, untimed (see WARMUP).
  for (let w = 0; w < WARMUP; w++)
    for (const t of tools) {
      await t.before?.();
      await t.setup(90000 + w);
      await t.teardown(90000 + w);
    }
  for (let i = 0; i < N + LAG; i++) {
    for (const t of tools) {
      // The pool refills after each hand-out: finished before anything is timed, so that no tool pays for it.
      await pooled.pool.settled();
      if (i < N) {
        await t.before?.();
        const c0 = process.cpuUsage();
        const t0 = now();
        await t.setup(i);
        t.s.setup.push(now() - t0);
        t.s.setupCpu.push(cpuMs(c0));
      }
      if (i >= LAG) {
        await pooled.pool.settled();
        const c0 = process.cpuUsage();
        const t0 = now();
        await t.teardown(i - LAG);
        t.s.teardown.push(now() - t0);
        t.s.teardownCpu.push(cpuMs(c0));
      }
    }
  }
  // Back to back: removed at once, while the kernel still holds references from the create.
  const b2b = [];
  for (let i = 0; i < Math.min(N, 50); i++) {
    await cold.sandboxes.create({ name: `b${i}`, network: 'bench', publish: [`${44000 + i}:80`] });
    const t0 = now();
    await cold.sandboxes.remove(`b${i}`);
    b2b.push(now() - t0);
  }
  await pooled.close();
  await cold.networks.remove('bench');
  await cold.close();
  return {
    rows: tools.map((t) => ({
      name: t.name,
      setup: median(t.s.setup),
      teardown: median(t.s.teardown),
      setupCpu: median(t.s.setupCpu),
      teardownCpu: median(t.s.teardownCpu),
    })),
    backToBackRemove: median(b2b),
  };
}

/**
 * GROWTH sandboxes with one published port each on one network, made by the
 * Engine (cold, and from a pool refilled between creates), with each create
 * plan's per-call timings, so that growth can be put on the kernel's steps.
 */
export async function modelGrowth(GROWTH, pooled) {
  const engine = await openBenchEngine(pooled ? 'growth-pool' : 'growth', pooled ? 1 : 0);
  const net = await engine.networks.create({ name: 'bench', subnet: SUBNET });
  const bridge = net.Options['com.docker.network.bridge.name'];
  // Warm-up, untimed: the first hundred must time the engine as it runs, not V8 compiling it.
  for (let w = 0; w < WARMUP; w++) {
    if (pooled) await engine.pool.settled();
    await engine.sandboxes.create({ name: `warm${w}`, network: 'bench', publish: [`${19000 + w}:80`] });
    await engine.sandboxes.remove(`warm${w}`);
  }
  // The kernel takes removed namespaces' pairs apart in the background: let it finish (the pool keeps one).
  if (pooled) await engine.pool.settled();
  for (let k = 0; k < 600; k++) {
    const [ports] = await Netns.host().exec([linkCalls.list({ master: bridge })]);
    if (ports.length <= (pooled ? 1 : 0)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const timings = planTimings();
  const costs = [];
  try {
    for (let i = 0; i < GROWTH; i++) {
      if (pooled) await engine.pool.settled();
      timings.reset();
      const t0 = now();
      await engine.sandboxes.create({ name: `g${i}`, network: 'bench', publish: [`${20000 + i}:80`] });
      costs.push({ ms: now() - t0, plans: [...timings.byPlan] });
    }
  } finally {
    timings.restore();
  }
  const removes = [];
  for (let i = 0; i < GROWTH; i++) {
    const t0 = now();
    await engine.sandboxes.remove(`g${i}`);
    removes.push(now() - t0);
  }
  await engine.networks.remove('bench');
  await engine.close();
  // The create's own plan (a refill's has no address).
  const ops = costs[0].plans.find(([k]) => k.includes('addr.add'))?.[0].split(',') ?? [];
  const steps = costs.map((c) => c.plans.find(([k]) => k.includes('addr.add'))?.[1][0] ?? []);
  return { costs: costs.map((c) => c.ms), ops, steps, remove: median(removes) };
}
