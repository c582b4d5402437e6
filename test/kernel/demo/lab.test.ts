// The bridge lab from Docker's networking notes, rebuilt with the library
// alone and proved with traffic; after teardown nothing of it is left.
import { beforeAll, expect, it } from 'vitest';
import { DockerLab, LAB } from '../../../src/demo/docker-lab.js';
import { Netns } from '../../../src/index.js';
import { assertSandbox, ipJson, snapshot } from '../support/witness.js';

beforeAll(assertSandbox);

interface IpLink {
  ifname: string;
  master?: string;
  operstate: string;
  link_netnsid?: number;
}
interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev: string;
}

it('builds Tdocker0/Tdocker1 on Tbr0, carries traffic on every path, and leaves nothing behind', async () => {
  const before = snapshot();
  const lab = await DockerLab.build();
  try {
    // Witness: iproute2 sees what the library says it built.
    const links = ipJson<IpLink[]>(undefined, 'link', 'show');
    const bridge = links.find((l) => l.ifname === LAB.bridge);
    expect(bridge?.operstate).toBe('UP');
    for (const c of LAB.containers) {
      const hostEnd = links.find((l) => l.ifname === c.hostEnd);
      expect(hostEnd?.master).toBe(LAB.bridge);
      const [eth0] = ipJson<IpAddr[]>(c.netns, 'addr', 'show', 'dev', 'eth0');
      expect(eth0?.addr_info.find((a) => a.family === 'inet')).toMatchObject({ local: c.address, prefixlen: 24 });
      const routes = ipJson<IpRoute[]>(c.netns, 'route', 'show');
      expect(routes).toContainEqual(expect.objectContaining({ dst: 'default', gateway: LAB.gateway, dev: 'eth0' }));
    }
    const bridgeAddrs = ipJson<IpAddr[]>(undefined, 'addr', 'show', 'dev', LAB.bridge);
    expect(bridgeAddrs[0]?.addr_info).toContainEqual(expect.objectContaining({ local: LAB.gateway, prefixlen: 24 }));

    // Traffic: every path carries bytes, and each server sees the real source address.
    const checks = await lab.prove();
    expect(checks.map((c) => [c.what, c.ok, c.detail]).filter(([, ok]) => !ok)).toEqual([]);
    expect(checks).toHaveLength(4);
    expect(checks[0]?.detail).toContain(`seen from ${LAB.containers[0].address}`);
    expect(checks[2]?.detail).toContain(`seen from ${LAB.gateway}`);
  } finally {
    await lab.teardown();
  }
  expect(await Netns.list()).toEqual(expect.not.arrayContaining(['Tdocker0', 'Tdocker1']));
  // The kernel removes a namespace's veth end in the background once the
  // namespace is gone, later on a loaded machine; wait for that work rather than racing it.
  for (let i = 0; i < 1500 && snapshot() !== before; i++) await new Promise((r) => setTimeout(r, 20));
  expect(snapshot()).toBe(before);
  // A second teardown is harmless.
  await lab.teardown();
});
