// Docker's bridge lab rebuilt with netplumb alone: two "containers"
// (namespaces Tdocker0 and Tdocker1), each joined to bridge Tbr0 by a veth
// pair, addressed in 172.18.0.0/24 with default routes via the bridge.
import { addrCalls } from '../rtnl/addr.js';
import { linkCalls } from '../rtnl/link.js';
import { Netns, netnsCalls } from '../netns.js';
import { Plan } from '../addon/plan.js';
import { routeCalls } from '../rtnl/route.js';
import { tcpProbe, type ProbeResult } from '../kernel/probe.js';
import type { NativeNetns } from '../addon/native.js';

export const LAB = {
  bridge: 'Tbr0',
  gateway: '172.18.0.1',
  prefix: 24,
  containers: [
    { netns: 'Tdocker0', hostEnd: 'veth-Tdocker0', address: '172.18.0.2' },
    { netns: 'Tdocker1', hostEnd: 'veth-Tdocker1', address: '172.18.0.3' },
  ],
} as const;

export interface LabCheck {
  what: string;
  ok: boolean;
  detail: string;
}

export class DockerLab {
  private constructor(
    readonly host: Netns,
    readonly containers: Netns[],
  ) {}

  /** Builds the lab: the bridge in `host`, then one plan (one trip) per container. */
  static async build(host: Netns = Netns.host()): Promise<DockerLab> {
    await host.exec([
      linkCalls.addBridge({ name: LAB.bridge, up: true }),
      addrCalls.add({ dev: LAB.bridge, address: `${LAB.gateway}/${LAB.prefix}` }),
    ]);
    const containers: Netns[] = [];
    try {
      for (const c of LAB.containers) {
        const plan = host.plan();
        const ns = plan.add<NativeNetns>(netnsCalls.create({ name: c.netns }));
        plan.add(linkCalls.set('lo', { up: true }), ns);
        plan.add(linkCalls.addVeth({ name: c.hostEnd, master: LAB.bridge, up: true, peer: { name: 'eth0', netns: ns, up: true } }));
        plan.add(addrCalls.add({ dev: 'eth0', address: `${c.address}/${LAB.prefix}` }), ns);
        plan.add(routeCalls.add({ destination: 'default', gateway: LAB.gateway }), ns);
        const [handle] = (await plan.run()) as [NativeNetns];
        containers.push(Netns.fromHandle(handle, { name: c.netns, owned: true }));
      }
    } catch (e) {
      await new DockerLab(host, containers).teardown();
      throw e;
    }
    return new DockerLab(host, containers);
  }

  /** Proves each path with bytes that cross: container to container, bridge side to each container. */
  async prove(): Promise<LabCheck[]> {
    const [c0, c1] = this.containers as [Netns, Netns];
    const [a0, a1] = LAB.containers.map((c) => c.address) as [string, string];
    const paths: [string, Netns, Netns, string][] = [
      [`Tdocker0 → Tdocker1 (${a1}) across ${LAB.bridge}`, c0, c1, a1],
      [`Tdocker1 → Tdocker0 (${a0}) across ${LAB.bridge}`, c1, c0, a0],
      [`bridge side → Tdocker0 (${a0})`, this.host, c0, a0],
      [`bridge side → Tdocker1 (${a1})`, this.host, c1, a1],
    ];
    const checks: LabCheck[] = [];
    for (const [what, from, to, address] of paths) {
      try {
        const r: ProbeResult = await tcpProbe(from, to, { address, port: 8080 });
        checks.push({ what, ok: true, detail: `${r.bytes} bytes echoed in ${r.ms.toFixed(2)} ms, seen from ${r.seenFrom}` });
      } catch (e) {
        checks.push({ what, ok: false, detail: (e as Error).message });
      }
    }
    return checks;
  }

  /** Removes the namespaces (their veth pairs go with them) and the bridge. Safe to call twice. */
  async teardown(): Promise<void> {
    for (const ns of this.containers.splice(0)) await ns.delete();
    for (const c of LAB.containers) await Netns.remove(c.netns, { ifExists: true });
    await this.host.exec([linkCalls.delete(LAB.bridge, { ifExists: true })]);
  }
}
