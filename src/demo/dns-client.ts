// Asks a DNS server one A question from inside a namespace, as a resolver
// library in a container would (the demo's containers have no resolver
// process of their own).
import type { Netns } from '../netns.js';
import { Rcode, RRType } from '../dns/wire.js';
import { queryAddresses, type StubAnswer } from '../dns/stub-query.js';
import { bindUdp } from '../kernel/sockets.js';

export type Resolved = StubAnswer;

export async function resolveA(ns: Netns, server: string, name: string, timeoutMs = 3000): Promise<Resolved> {
  const socket = await bindUdp(ns, { address: '0.0.0.0', port: 0 });
  try {
    return await queryAddresses(socket, { address: server }, name, RRType.A, timeoutMs);
  } finally {
    socket.close();
  }
}

export function rcodeName(rcode: number): string {
  return Object.entries(Rcode).find(([, v]) => v === rcode)?.[0] ?? String(rcode);
}
