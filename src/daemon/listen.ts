// The daemon's listeners. A unix socket (mode 0660, group `netplumb` when
// that group exists, as dockerd's socket belongs to group `docker`); a socket
// file left by a daemon that died is replaced, one a live process answers on
// is refused. TCP only with TLS client certificates, as dockerd requires
// for remote access.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatAddress } from '../client/address.js';
import type { Logger } from './logger.js';
import type { ListenAddress } from './options.js';

/** dockerd's --tlscacert, --tlscert, --tlskey (paths). */
export interface TlsPaths {
  cacert: string;
  cert: string;
  key: string;
}

export interface Listener {
  readonly server: http.Server;
  readonly label: string;
  /** Removes the socket file (unix) once the server is closed. */
  cleanup(): void;
}

/** The gid of a group in /etc/group, if it exists. */
export function groupId(name: string, groupFile = '/etc/group'): number | undefined {
  try {
    for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
      const [n, , gid] = line.split(':');
      if (n === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
    }
  } catch {
    // No group file: no such group.
  }
  return undefined;
}

/** Whether something accepts connections on a unix socket path. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function listening(server: net.Server, ...args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    (server.listen as (...a: unknown[]) => void)(...args, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Makes a unix socket at `path` with `bind` (which must create it
 * synchronously or before it resolves): mode 0660 from the start, the
 * group's when it exists. A socket file left by a process that died is
 * replaced; one a live process answers on is refused.
 */
export async function bindUnix(path: string, bind: () => unknown, group: string, log: Logger): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  if (existsSync(path)) {
    if (await answers(path)) throw new Error(`${path} is in use: another process answers on it; stop it or choose another socket with -H`);
    unlinkSync(path);
  }
  // Created 0660 from the start: no moment in which anyone else may connect.
  const umask = process.umask(0o117);
  try {
    await bind();
  } finally {
    process.umask(umask);
  }
  chmodSync(path, 0o660);
  const gid = groupId(group);
  if (gid === undefined) return;
  try {
    chownSync(path, process.getuid?.() ?? 0, gid);
  } catch (e) {
    log.warn({ socket: path, group, err: (e as Error).message }, 'could not give the socket to its group; only root can use it');
  }
}

/**
 * The sockets systemd passed (socket activation, dockerd's -H fd://): fds
 * 3 … 3+LISTEN_FDS-1, when LISTEN_PID is this process.
 */
export function passedSockets(env: NodeJS.ProcessEnv = process.env): number[] {
  if (Number(env.LISTEN_PID) !== process.pid) return [];
  return Array.from({ length: Number(env.LISTEN_FDS ?? 0) }, (_, i) => 3 + i);
}

/**
 * The path a unix socket fd is bound to: its inode (readlink of
 * /proc/self/fd/N) looked up in /proc/net/unix, since Node cannot getsockname
 * a socket it did not bind itself.
 */
export function unixSocketPath(fd: number): string | undefined {
  try {
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[6] === inode && f[7]?.startsWith('/')) return f[7];
    }
  } catch {
    // not a socket, or no /proc: no name
  }
  return undefined;
}

/** A socket systemd made and passed (mode and group are the socket unit's). Its label is its path when it has one. */
async function listenFd(fd: number, server: http.Server): Promise<string> {
  await listening(server, { fd });
  const path = unixSocketPath(fd);
  return path !== undefined ? `unix://${path}` : `fd://${fd}`;
}

/** Every listener for one -H value (fd:// can stand for several passed sockets). */
export async function listenAll(
  address: ListenAddress,
  attach: (server: http.Server) => void,
  o: { group: string; tls?: TlsPaths; log: Logger },
): Promise<Listener[]> {
  if (address.kind !== 'fd') return [await listen(address, attach, o)];
  const fds = address.fd !== undefined ? [address.fd] : passedSockets();
  if (fds.length === 0) throw new Error('-H fd:// needs sockets passed by systemd (LISTEN_FDS for this process); start netplumbd through netplumbd.socket, or give -H unix:///path');
  const out: Listener[] = [];
  for (const fd of fds) {
    const server = http.createServer();
    attach(server);
    out.push({ server, label: await listenFd(fd, server), cleanup: () => undefined });
  }
  return out;
}

export async function listen(
  address: Exclude<ListenAddress, { kind: 'fd' }>,
  /** Installs the request handling on the server, before it listens. */
  attach: (server: http.Server) => void,
  o: { group: string; tls?: TlsPaths; log: Logger },
): Promise<Listener> {
  const label = formatAddress(address);
  if (address.kind === 'unix') {
    const server = http.createServer();
    attach(server);
    await bindUnix(address.path, () => listening(server, address.path), o.group, o.log);
    return {
      server,
      label,
      cleanup: () => {
        try {
          unlinkSync(address.path);
        } catch {
          // already gone
        }
      },
    };
  }
  if (!o.tls) throw new Error(`${label}: a TCP listener needs --tlsverify with --tlscacert, --tlscert and --tlskey (client certificates are required, as dockerd requires for remote access)`);
  const server = https.createServer({
    ca: readFileSync(o.tls.cacert),
    cert: readFileSync(o.tls.cert),
    key: readFileSync(o.tls.key),
    requestCert: true,
    rejectUnauthorized: true,
  });
  attach(server);
  await listening(server, address.port, address.host);
  return { server, label, cleanup: () => undefined };
}
