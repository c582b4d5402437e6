// The machines of a cluster test: "hosts" are network namespaces with eth0
// on one underlay bridge (in a namespace of its own, 192.0.2.0/24), and an
// "outside" namespace on the same bridge stands for what is beyond the
// cluster. An nft counter on the bridge (table bridge, the tests' witness)
// counts what crosses the underlay: VXLAN (UDP 4789) and any packet of a
// cluster CIDR that would cross unencapsulated.
import { execFileSync } from 'node:child_process';
import { addrCalls, linkCalls, Netns } from '../../../../src/index.js';
import { assertSandbox, nftJson } from '../../support/witness.js';

export interface Underlay {
  bridgeNs: Netns;
  hosts: Netns[];
  /** host i's namespace name and its underlay address. */
  names: string[];
  addresses: string[];
  outside: Netns;
  outsideName: string;
  outsideAddress: string;
  /** Packets (and bytes) counted on the underlay bridge since it was made. */
  counters(): { vxlanPackets: number; vxlanBytes: number; bareClusterPackets: number };
  cleanup(): Promise<void>;
}

export const UNDERLAY_PREFIX = '192.0.2';

/** `count` hosts h1.. at 192.0.2.11.., the outside at 192.0.2.100; `bare` lists the CIDRs that must never cross unencapsulated. */
export async function underlay(prefix: string, count: number, bare: string[]): Promise<Underlay> {
  assertSandbox();
  const made: Netns[] = [];
  const cleanup = async (): Promise<void> => {
    for (const ns of made.reverse()) await ns.delete().catch(() => undefined);
  };
  try {
    const bridgeName = `${prefix}-ul`;
    const bridgeNs = await Netns.create({ name: bridgeName });
    made.push(bridgeNs);
    await bridgeNs.exec([linkCalls.addBridge({ name: 'ul', up: true, addrGenMode: 'none' })]);
    const join = async (name: string, address: string): Promise<Netns> => {
      const ns = await Netns.create({ name });
      made.push(ns);
      await bridgeNs.exec([
        linkCalls.addVeth({ name: `p-${name.slice(-6)}`, master: 'ul', up: true, addrGenMode: 'none', peer: { name: 'eth0', netns: ns, up: true, addrGenMode: 'none' } }),
      ]);
      await ns.exec([addrCalls.add({ dev: 'eth0', address: `${address}/24` })]);
      return ns;
    };
    const names = Array.from({ length: count }, (_, i) => `${prefix}-h${i + 1}`);
    const addresses = names.map((_, i) => `${UNDERLAY_PREFIX}.${11 + i}`);
    const hosts: Netns[] = [];
    for (let i = 0; i < count; i++) hosts.push(await join(names[i]!, addresses[i]!));
    const outsideName = `${prefix}-out`;
    const outsideAddress = `${UNDERLAY_PREFIX}.100`;
    const outside = await join(outsideName, outsideAddress);
    const bareSet = bare.length > 0 ? `ip saddr { ${bare.join(', ')} } counter` : '';
    execFileSync('ip', ['netns', 'exec', bridgeName, 'nft', '-f', '-'], {
      input: `table bridge witness {
  chain crossing {
    type filter hook forward priority 0; policy accept;
    udp dport 4789 counter
    ${bareSet}
  }
}
`,
    });
    const counters = () => {
      const rules = nftJson(bridgeName, 'list', 'chain', 'bridge', 'witness', 'crossing').nftables.flatMap((o) => ('rule' in o ? [o.rule as { expr: Record<string, unknown>[] }] : []));
      const counter = (r: { expr: Record<string, unknown>[] } | undefined) => (r?.expr.find((e) => 'counter' in e)?.counter ?? { packets: 0, bytes: 0 }) as { packets: number; bytes: number };
      const vx = counter(rules[0]);
      return { vxlanPackets: vx.packets, vxlanBytes: vx.bytes, bareClusterPackets: bare.length > 0 ? counter(rules[1]).packets : 0 };
    };
    return { bridgeNs, hosts, names, addresses, outside, outsideName, outsideAddress, counters, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
