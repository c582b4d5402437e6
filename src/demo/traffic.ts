// The demo's servers and clients: a server answers every connection with
// "<name> saw <peer address>" and closes, so one exchange shows both that
// bytes crossed and what source address arrived (masquerade, DNAT).
import type { Server } from 'node:net';
import type { Netns } from '../netns.js';

export function serveHello(ns: Netns, name: string, address: string, port: number): Promise<Server> {
  return ns.listenTcp({ address, port }, (s) => s.end(`${name} saw ${s.remoteAddress ?? '?'}`));
}

export interface Reply {
  /** Who answered (the server's name). */
  server: string;
  /** The source address the server saw. */
  seen: string;
  ms: number;
}

/** Connects from `from` to host:port and reads the server's one line. */
export async function fetchHello(from: Netns, host: string, port: number, timeoutMs = 2000): Promise<Reply> {
  const t0 = performance.now();
  const sock = await from.connectTcp({ host, port, timeoutMs });
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString());
    });
  });
  const m = /^(\S+) saw (\S+)$/.exec(text);
  if (!m) throw new Error(`unexpected answer from ${host}:${port}: ${JSON.stringify(text)}`);
  return { server: m[1] as string, seen: m[2] as string, ms: performance.now() - t0 };
}

/** Resolves with how the attempt failed when host:port cannot be reached, rejects when it can. */
export async function expectBlocked(from: Netns, host: string, port: number, timeoutMs = 1000): Promise<string> {
  let reply: Reply;
  try {
    reply = await fetchHello(from, host, port, timeoutMs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code ?? (e as Error).message;
  }
  throw new Error(`${host}:${port} answered (${reply.server} saw ${reply.seen}); it should be unreachable`);
}
