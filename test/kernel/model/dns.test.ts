// The network's DNS as a sandbox sees it: it asks the gateway over UDP and
// TCP for another sandbox's name and for the PTR of its address, and a
// reverse name the network does not know goes to the upstream, a fake
// resolver in a "wan" namespace of this test (nothing leaves the sandbox).
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindUdp, connectTcp, listenTcp } from '../../../src/index.js';
import type { Engine } from '../../../src/model/index.js';
import { reverseName } from '../../../src/dns/reverse.js';
import { frame } from '../../../src/dns/tcp-frames.js';
import { addressFromData, buildQuery, buildResponse, nameFromData, parseQuery, Rcode, RRType, type DnsMessage } from '../../../src/dns/wire.js';
import { answerFramed, askUdp, TcpAnswers } from '../../support/dns.js';
import { TempState } from './support/engine.js';
import { hostAndWan, type HostAndWan } from './support/topology.js';

const HOST_WAN = '198.51.100.1';
const WAN_ADDR = '198.51.100.2';
const GATEWAY = '172.23.16.1';
/** The outside address the fake upstream knows a name for. */
const OUTSIDE = '192.0.2.44';

let topology: HostAndWan;
let engine: Engine;
let state: TempState;
const upstreamSeen: string[] = [];
const closers: (() => void)[] = [];

/** The fake upstream's answer: a PTR for OUTSIDE, NXDOMAIN for the rest. */
function upstreamAnswer(raw: Buffer, transport: string): Buffer {
  const q = parseQuery(raw);
  const name = q.questions[0]?.name ?? '';
  upstreamSeen.push(`${transport} ${name}`);
  return name === reverseName(OUTSIDE)
    ? buildResponse(q, { answers: [{ ptr: `outside.example.${transport}`, ttl: 60 }] })
    : buildResponse(q, { rcode: Rcode.NXDOMAIN });
}

beforeAll(async () => {
  topology = await hostAndWan({ host: 'np-dns-host', wan: 'np-dns-wan', hostAddress: HOST_WAN, wanAddress: WAN_ADDR });
  const { wan } = topology;
  const udp = await bindUdp(wan, { address: WAN_ADDR, port: 53 });
  udp.on('message', (m, r) => udp.send(upstreamAnswer(m, 'udp'), r.port, r.address));
  const tcp = await listenTcp(wan, { address: WAN_ADDR, port: 53 }, (s) => answerFramed(s, (m) => upstreamAnswer(m, 'tcp')));
  closers.push(() => udp.close(), () => tcp.close());
  state = await TempState.create('np-dns-');
  engine = await state.open(topology.host, { dns: { upstreams: [{ address: WAN_ADDR, port: 53 }], timeoutMs: 1000 } });
});

afterAll(async () => {
  for (const c of closers.splice(0)) c();
  await engine?.close();
  await topology?.cleanup();
  await state?.remove();
});

describe('the DNS of a user network, as a sandbox sees it', () => {
  it('answers names and PTRs over UDP and TCP, and forwards unknown reverse names upstream the same way', async () => {
    await engine.networks.create({ name: 'front', subnet: '172.23.16.0/24', gateway: GATEWAY });
    await engine.sandboxes.create({ name: 'db', network: 'front', ip: '172.23.16.8', aliases: ['database'] });
    await engine.sandboxes.create({ name: 'app', network: 'front' });
    const appNs = await engine.sandboxes.netns('app');
    const udp = await bindUdp(appNs, { address: '0.0.0.0', port: 0 });
    let tcp: net.Socket | undefined;
    try {
      const overUdp = (id: number, name: string, type: number): Promise<DnsMessage> => askUdp(udp, GATEWAY, 53, id, name, type);
      tcp = await connectTcp(appNs, { host: GATEWAY, port: 53 });
      const tcpAnswers = new TcpAnswers(tcp);
      const conn = tcp;
      // Every TCP query goes over the one connection.
      const overTcp = async (id: number, name: string, type: number): Promise<DnsMessage> => {
        conn.write(frame(buildQuery(id, name, type)));
        return tcpAnswers.get(id);
      };

      for (const [transport, ask] of [
        ['udp', overUdp],
        ['tcp', overTcp],
      ] as const) {
        const base = transport === 'udp' ? 0x100 : 0x200;
        const a = await ask(base + 1, 'database', RRType.A);
        expect(a.answers.map((r) => addressFromData(r.data)), transport).toEqual(['172.23.16.8']);
        const ptr = await ask(base + 2, reverseName('172.23.16.8'), RRType.PTR);
        expect(ptr.header, transport).toMatchObject({ rcode: Rcode.NOERROR, aa: true });
        expect(ptr.answers.map((r) => [r.type, nameFromData(r.data)]), transport).toEqual([[RRType.PTR, 'db.front']]);
        // An address no sandbox has: the upstream answers, over the transport the sandbox used.
        const outside = await ask(base + 3, reverseName(OUTSIDE), RRType.PTR);
        expect(outside.answers.map((r) => nameFromData(r.data)), transport).toEqual([`outside.example.${transport}`]);
        expect((await ask(base + 4, reverseName('192.0.2.45'), RRType.PTR)).header.rcode, transport).toBe(Rcode.NXDOMAIN);
      }
      expect(upstreamSeen).toEqual([
        `udp ${reverseName(OUTSIDE)}`,
        'udp 45.2.0.192.in-addr.arpa',
        `tcp ${reverseName(OUTSIDE)}`,
        'tcp 45.2.0.192.in-addr.arpa',
      ]);
    } finally {
      tcp?.destroy();
      udp.close();
      appNs.close();
    }
  });
});
