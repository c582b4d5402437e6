// Where a daemon listens, as dockerd and the docker CLI write it:
// unix:///run/netplumb/netplumb.sock (or just the path) and tcp://HOST:PORT.
import { ValidationError } from '../core/errors.js';

/** The daemon's default socket (dockerd's is /run/docker.sock). */
export const DEFAULT_SOCKET = '/run/netplumb/netplumb.sock';

export type DaemonAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** unix:///path, /path, tcp://host:port (tcp://[v6]:port). */
export function parseAddress(spec: string, field = 'host'): DaemonAddress {
  if (spec.startsWith('unix://')) {
    const path = spec.slice('unix://'.length);
    if (!path.startsWith('/')) throw new ValidationError(field, `${spec}: a unix socket address needs an absolute path, as unix:///run/netplumb/netplumb.sock`);
    return { kind: 'unix', path };
  }
  if (spec.startsWith('/')) return { kind: 'unix', path: spec };
  const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})\/?$/.exec(spec);
  if (m) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new ValidationError(field, `${spec}: port ${port} is out of range`);
    return { kind: 'tcp', host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
  }
  throw new ValidationError(field, `'${spec}' is not a daemon address: use unix:///path/to.sock, /path/to.sock or tcp://HOST:PORT`);
}

export function formatAddress(a: DaemonAddress): string {
  return a.kind === 'unix' ? `unix://${a.path}` : `tcp://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
