// What a host's kernel holds for one overlay network's VXLAN device, as
// iproute2 and bridge(8) report it, and small traffic helpers for sandboxes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { bindUdp, connectTcp, listenTcp, type Netns } from '../../../../src/index.js';
import { ipJson } from '../../support/witness.js';

export interface DeviceObjects {
  routes: { dst: string; gateway?: string; nhid?: number; flags: string[] }[];
  neighbours: { dst: string; lladdr: string; state: string[] }[];
  fdb: { mac: string; dst?: string; state?: string; flags?: string[] }[];
}

export function deviceObjects(netns: string, dev: string): DeviceObjects {
  const fdb = JSON.parse(execFileSync('bridge', ['-n', netns, '-j', 'fdb', 'show', 'dev', dev], { encoding: 'utf8' }) || '[]') as DeviceObjects['fdb'];
  return {
    routes: ipJson<DeviceObjects['routes']>(netns, 'route', 'show', 'dev', dev, 'table', 'main'),
    neighbours: ipJson<DeviceObjects['neighbours']>(netns, 'neigh', 'show', 'dev', dev),
    fdb,
  };
}

/** Polls `check` until it holds; fails with `what` if it never does (a bound against hanging, not a speed test). */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `ping` from inside a named namespace; resolves to whether a reply came. */
export function ping(netns: string, address: string, extra: string[] = []): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync('ip', ['netns', 'exec', netns, 'ping', '-c', '1', '-W', '2', ...extra, address], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

/** A UDP server in `ns` that answers each datagram with "<tag> got <what> from <peer>". */
export async function udpEcho(ns: Netns, port: number, tag: string) {
  const s = await bindUdp(ns, { address: '0.0.0.0', port });
  s.on('message', (msg, r) => s.send(`${tag} got ${msg.toString()} from ${r.address}`, r.port, r.address));
  return s;
}

export async function udpAsk(ns: Netns, address: string, port: number, say: string, ms = 2000): Promise<string> {
  const s = await bindUdp(ns, { address: '0.0.0.0', port: 0 });
  try {
    const reply = new Promise<string>((resolve, reject) => {
      s.once('message', (m) => resolve(m.toString()));
      setTimeout(() => reject(new Error(`no UDP answer from ${address}:${port}`)), ms).unref();
    });
    s.send(say, port, address);
    return await reply;
  } finally {
    s.close();
  }
}

/** A TCP server that reads everything and answers "<bytes> <sha256>". */
export async function sink(ns: Netns, port: number) {
  return listenTcp(ns, { address: '0.0.0.0', port }, (s: Socket) => {
    const h = createHash('sha256');
    let n = 0;
    s.on('data', (d: Buffer) => {
      h.update(d);
      n += d.length;
    });
    s.on('end', () => s.end(`${n} ${h.digest('hex')}`));
  });
}

/** Sends `data`, resolves to the sink's answer. */
export async function send(ns: Netns, address: string, port: number, data: Buffer): Promise<string> {
  const sock = await connectTcp(ns, { host: address, port, timeoutMs: 3000 });
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  sock.end(data);
  await new Promise((r) => sock.on('close', r));
  return Buffer.concat(chunks).toString();
}
