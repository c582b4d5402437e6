// `npm run demo`: builds Docker's bridge lab inside the sandbox, proves it
// with traffic, prints what it built and what passed, and tears it down.
import { Netns } from '../netns.js';
import { Links } from '../link.js';
import { Addresses } from '../addr.js';
import { DockerLab, LAB } from './docker-lab.js';

if (process.env.NETPLUMB_SANDBOX !== '1') {
  console.error('The demo changes network state: run it inside the sandbox (npm run demo does that).');
  process.exit(2);
}

const t0 = performance.now();
const lab = await DockerLab.build();
const built = performance.now() - t0;
let failed = 0;
try {
  console.log(`Built in ${built.toFixed(1)} ms, without spawning a process:`);
  const host = Netns.host();
  const bridge = await new Links(host).get(LAB.bridge);
  console.log(`  bridge ${bridge.name} (index ${bridge.index}) ${LAB.gateway}/${LAB.prefix}, ${bridge.operstate}`);
  for (const [i, c] of LAB.containers.entries()) {
    const ns = lab.containers[i] as Netns;
    const eth0 = await new Links(ns).get('eth0');
    const addrs = await new Addresses(ns).list({ dev: 'eth0' });
    console.log(
      `  namespace ${c.netns}: eth0 ${eth0.address} ${addrs.map((a) => a.cidr).join(', ')} ⇄ ${c.hostEnd} on ${LAB.bridge}, default via ${LAB.gateway}`,
    );
  }
  console.log('\nTraffic:');
  for (const check of await lab.prove()) {
    if (!check.ok) failed++;
    console.log(`  ${check.ok ? 'PASS' : 'FAIL'}  ${check.what}: ${check.detail}`);
  }
} finally {
  await lab.teardown();
  const left = (await Netns.list()).filter((n) => n.startsWith('Tdocker'));
  console.log(`\nTorn down: ${left.length === 0 ? 'no namespace, veth or bridge left' : `left behind: ${left.join(', ')}`}.`);
}
process.exit(failed ? 1 : 0);
