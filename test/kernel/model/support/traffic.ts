// TCP between namespaces, in the form the model tests assert on: the server
// names itself and the peer it saw, so one string shows both that bytes
// crossed and what address translation did to the source.
import type { Socket } from 'node:net';
import { connectTcp, listenTcp, type Netns } from '../../../../src/index.js';

/** Connects, sends `say`, reads until the server closes; rejects on refusal or after `ms`. */
export async function exchange(from: Netns, address: string, port: number, say = 'ping', ms = 1500): Promise<string> {
  const sock: Socket = await connectTcp(from, { host: address, port, timeoutMs: ms });
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  sock.end(say);
  await new Promise((r) => sock.on('close', r));
  return Buffer.concat(chunks).toString();
}

/** A TCP server in `ns` that answers "<tag> saw <peer>: <what was sent>". */
export async function serve(ns: Netns, port: number, tag: string, address = '0.0.0.0') {
  return listenTcp(ns, { address, port }, (s) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => s.end(`${tag} saw ${s.remoteAddress}: ${Buffer.concat(chunks).toString()}`));
  });
}
