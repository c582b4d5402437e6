// TCP and UDP sockets created inside a namespace and adopted by Node's own
// net and dgram modules: one process can serve and connect across namespaces.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Netns } from './netns.js';
import { integer, ipAddress } from '../core/validate.js';
import { opCall, type OpenedSocket, type SocketOpenArgs } from '../addon/ops.js';

async function openSocket(ns: Netns, args: SocketOpenArgs): Promise<OpenedSocket> {
  const [opened] = await ns.exec([opCall('socket.open', args)]);
  return opened as OpenedSocket;
}

export interface ListenOptions {
  port?: number;
  /** Address to bind; default all IPv4 addresses (0.0.0.0). */
  address?: string;
  backlog?: number;
}

/** A TCP server listening inside `ns`. Attach a 'connection' handler as with net.createServer(). */
export function listenTcp(
  ns: Netns,
  opts: ListenOptions = {},
  onConnection?: (socket: net.Socket) => void,
): Promise<net.Server> {
  return serveIn(ns, net.createServer(onConnection), opts);
}

/**
 * Makes any net.Server (an http.Server, an https.Server, a framework's)
 * listen on a socket opened inside `ns`; resolves to the same server once it listens.
 */
export async function serveIn<S extends net.Server>(ns: Netns, server: S, opts: ListenOptions = {}): Promise<S> {
  const port = integer(opts.port ?? 0, 'port', 0, 65535);
  const address = opts.address ?? '0.0.0.0';
  ipAddress(address);
  const { fd } = await openSocket(ns, { type: 'tcp', address, port });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd, backlog: opts.backlog ?? 511 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** Local address to bind before connecting. */
  localAddress?: string;
  /**
   * Give up after this long: the socket is destroyed (so it stops holding the
   * namespace) and the promise rejects with code ETIMEDOUT. Default: the kernel's SYN retries.
   */
  timeoutMs?: number;
}

/** A TCP connection made from inside `ns`; resolves once connected. */
export async function connectTcp(ns: Netns, opts: ConnectOptions): Promise<net.Socket> {
  const family = ipAddress(opts.host, 'host');
  const port = integer(opts.port, 'port', 1, 65535);
  const { fd } = await openSocket(ns, {
    type: 'tcp',
    family,
    bind: opts.localAddress !== undefined,
    address: opts.localAddress ?? '',
  });
  // manualStart keeps Node from reading the unconnected descriptor (it would see a hang-up);
  // reading starts when the connection is made.
  const socket = new net.Socket({ fd, manualStart: true } as net.SocketConstructorOpts);
  const timeoutMs = opts.timeoutMs === undefined ? undefined : integer(opts.timeoutMs, 'timeoutMs', 1, 2 ** 31 - 1);
  await new Promise<void>((resolve, reject) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            socket.destroy();
            reject(Object.assign(new Error(`connect to ${opts.host}:${port} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
          }, timeoutMs);
    const onError = (e: Error): void => {
      clearTimeout(timer);
      reject(e);
    };
    socket.once('error', onError);
    socket.connect({ host: opts.host, port }, () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve();
    });
  });
  return socket;
}

export interface UdpOptions {
  port?: number;
  address?: string;
}

/** A bound UDP socket inside `ns` (node:dgram adopts the descriptor). */
export async function bindUdp(ns: Netns, opts: UdpOptions = {}): Promise<dgram.Socket> {
  const address = opts.address ?? '0.0.0.0';
  const family = ipAddress(address);
  const port = integer(opts.port ?? 0, 'port', 0, 65535);
  const { fd } = await openSocket(ns, { type: 'udp', address, port, family });
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ fd }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}
