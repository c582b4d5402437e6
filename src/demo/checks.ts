// The paths the demo proves, each with real traffic: bytes cross, and the
// source address the far end saw says whether NAT happened as Docker does it.
import type { SandboxInfo } from '../model/index.js';
import type { BridgeLab } from './bridge-lab.js';
import { LAB } from './bridge-lab.js';
import { rcodeName, resolveA } from './dns-client.js';
import { expectBlocked, fetchHello } from './traffic.js';
import { WAN } from './wan.js';

export interface CheckResult {
  what: string;
  ok: boolean;
  detail: string;
  ms: number;
}

type Check = { what: string; run: () => Promise<string> };

function ipOf(s: SandboxInfo | undefined): string {
  const ip = s?.networks[0]?.ipv4;
  if (!ip) throw new Error('sandbox has no address');
  return ip;
}

function gatewayOf(s: SandboxInfo | undefined): string {
  const gw = s?.networks[0]?.gateway;
  if (!gw) throw new Error('sandbox has no gateway');
  return gw;
}

function expect(cond: boolean, message: string): void {
  if (!cond) throw new Error(message);
}

export function labChecks(lab: BridgeLab): Check[] {
  const web = () => ipOf(lab.sandboxes.web);
  const api = () => ipOf(lab.sandboxes.api);
  const other = () => ipOf(lab.sandboxes.other);
  const frontGw = () => gatewayOf(lab.sandboxes.api);
  const published = Number(LAB.web.publish.split(':')[0]);
  return [
    {
      what: 'container → container by DNS name',
      run: async () => {
        const r = await resolveA(lab.ns('api'), frontGw(), 'web');
        expect(r.addresses[0] === web(), `the responder answered ${rcodeName(r.rcode)} ${r.addresses.join(',') || '(no address)'} for web, expected ${web()}`);
        const reply = await fetchHello(lab.ns('api'), r.addresses[0] as string, LAB.web.port);
        expect(reply.server === 'web' && reply.seen === api(), `got "${reply.server} saw ${reply.seen}"`);
        return `api asked ${frontGw()}:53 for "web" → ${r.addresses[0]}; web:${LAB.web.port} saw ${reply.seen} (api, unchanged)`;
      },
    },
    {
      what: 'other names forwarded to the upstream',
      run: async () => {
        const before = lab.wanDns?.answered ?? 0;
        const r = await resolveA(lab.ns('api'), frontGw(), LAB.wanName);
        expect(r.addresses[0] === WAN.address, `got ${rcodeName(r.rcode)} ${r.addresses.join(',')} for ${LAB.wanName}, expected ${WAN.address}`);
        expect((lab.wanDns?.answered ?? 0) > before, 'the wan DNS server saw no query');
        return `api asked ${frontGw()} for ${LAB.wanName} → ${r.addresses[0]}, answered by the wan's DNS server`;
      },
    },
    {
      what: 'host → container',
      run: async () => {
        const reply = await fetchHello(lab.host, web(), LAB.web.port);
        expect(reply.server === 'web', `answered by ${reply.server}`);
        return `host → ${web()}:${LAB.web.port}; web saw ${reply.seen} (the bridge's address)`;
      },
    },
    {
      what: 'container → wan, masqueraded',
      run: async () => {
        const reply = await fetchHello(lab.ns('web'), WAN.address, LAB.wanPort);
        expect(reply.seen === WAN.hostAddress, `the wan saw ${reply.seen}, expected the host's ${WAN.hostAddress}`);
        return `web (${web()}) → ${WAN.address}:${LAB.wanPort}; the wan saw ${reply.seen}, the host's address`;
      },
    },
    {
      what: 'wan → published port',
      run: async () => {
        const reply = await fetchHello(lab.wanNs(), WAN.hostAddress, published);
        expect(reply.server === 'web' && reply.seen === WAN.address, `got "${reply.server} saw ${reply.seen}"`);
        return `wan → ${WAN.hostAddress}:${published} → web:${LAB.web.port}; web saw ${reply.seen}, the client's own address`;
      },
    },
    {
      what: 'hairpin: container → its own published port',
      run: async () => {
        const reply = await fetchHello(lab.ns('web'), WAN.hostAddress, published);
        expect(reply.server === 'web', `answered by ${reply.server}`);
        return `web → ${WAN.hostAddress}:${published} → back to web:${LAB.web.port}; web saw ${reply.seen}`;
      },
    },
    {
      what: "hairpin: container → a neighbour's published port",
      run: async () => {
        const reply = await fetchHello(lab.ns('api'), WAN.hostAddress, published);
        expect(reply.server === 'web', `answered by ${reply.server}`);
        return `api → ${WAN.hostAddress}:${published} → web:${LAB.web.port}; web saw ${reply.seen}`;
      },
    },
    {
      what: 'isolation from a second network',
      run: async () => {
        const there = await expectBlocked(lab.ns('other'), web(), LAB.web.port);
        const back = await expectBlocked(lab.ns('web'), other(), LAB.web.port);
        const out = await fetchHello(lab.ns('other'), WAN.address, LAB.wanPort);
        expect(out.server === 'wan', 'other cannot reach the wan either: the test proves nothing');
        return `other (${other()}, net back) → web ${web()}: ${there}; web → other: ${back}; other still reaches the wan`;
      },
    },
  ];
}

export async function runChecks(checks: Check[], onResult: (r: CheckResult) => void): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of checks) {
    const t0 = performance.now();
    let r: CheckResult;
    try {
      r = { what: c.what, ok: true, detail: await c.run(), ms: performance.now() - t0 };
    } catch (e) {
      r = { what: c.what, ok: false, detail: (e as Error).message, ms: performance.now() - t0 };
    }
    out.push(r);
    onResult(r);
  }
  return out;
}
