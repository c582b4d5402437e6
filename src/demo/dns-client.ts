// Asks a DNS server one A question from inside a namespace, as a resolver
// library in a container would (the demo's containers have no resolver
// process of their own).
import { randomInt } from 'node:crypto';
import type { Netns } from '../netns.js';
import { addressFromData, buildQuery, parseResponse, Rcode, RRType } from '../dns/wire.js';
import { bindUdp } from '../kernel/sockets.js';

export interface Resolved {
  addresses: string[];
  rcode: number;
}

export async function resolveA(ns: Netns, server: string, name: string, timeoutMs = 3000): Promise<Resolved> {
  const socket = await bindUdp(ns, { address: '0.0.0.0', port: 0 });
  const id = randomInt(0, 0x10000);
  try {
    return await new Promise<Resolved>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from ${server} for ${name} within ${timeoutMs} ms`)), timeoutMs);
      socket.on('message', (msg) => {
        const r = parseResponse(msg);
        if (r.header.id !== id) return;
        clearTimeout(timer);
        const addresses = r.answers.filter((a) => a.type === RRType.A).map((a) => addressFromData(a.data));
        resolve({ addresses, rcode: r.header.rcode });
      });
      socket.send(buildQuery(id, name, RRType.A), 53, server);
    });
  } finally {
    socket.close();
  }
}

export function rcodeName(rcode: number): string {
  return Object.entries(Rcode).find(([, v]) => v === rcode)?.[0] ?? String(rcode);
}
