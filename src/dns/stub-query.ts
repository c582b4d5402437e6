// One question to one DNS server over a UDP socket the caller bound (in
// whichever namespace it chose), as a stub resolver asks: the addresses of
// the answer and its rcode, or a timeout. A socket connected to the server
// also hears the kernel's "port unreachable" (ECONNREFUSED) at once, as
// glibc's resolver does, instead of waiting out the timeout.
import { randomInt } from 'node:crypto';
import type dgram from 'node:dgram';
import { addressFromData, buildQuery, parseResponse, RRType } from './wire.js';

export interface StubAnswer {
  rcode: number;
  addresses: string[];
}

export function queryAddresses(
  socket: dgram.Socket,
  server: { address: string; port?: number },
  name: string,
  type: typeof RRType.A | typeof RRType.AAAA,
  timeoutMs: number,
): Promise<StubAnswer> {
  const id = randomInt(0, 0x10000);
  return new Promise<StubAnswer>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('error', onError);
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    const timer = setTimeout(() => {
      done();
      reject(Object.assign(new Error(`no answer from ${server.address} for ${name} within ${timeoutMs} ms`), { code: 'ETIMEOUT' }));
    }, timeoutMs);
    const onMessage = (msg: Buffer): void => {
      let r;
      try {
        r = parseResponse(msg);
      } catch {
        return; // not an answer we can read: keep waiting for ours
      }
      if (r.header.id !== id) return;
      done();
      resolve({ rcode: r.header.rcode, addresses: r.answers.filter((a) => a.type === type).map((a) => addressFromData(a.data)) });
    };
    socket.on('message', onMessage);
    socket.on('error', onError);
    const sent = (e: Error | null): void => {
      if (e) onError(e);
    };
    if (isConnected(socket)) socket.send(buildQuery(id, name, type), sent);
    else socket.send(buildQuery(id, name, type), server.port ?? 53, server.address, sent);
  });
}

function isConnected(socket: dgram.Socket): boolean {
  try {
    socket.remoteAddress();
    return true;
  } catch {
    return false;
  }
}
