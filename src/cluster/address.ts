// The cluster store's address: etcd://HOST:PORT[,HOST:PORT…] (etcd v3's
// client URLs over plain HTTP) or dir:///absolute/path (a directory of
// records shared by the hosts, for static setups and tests without etcd).
import { isAbsolute } from 'node:path';
import { ValidationError } from '../core/errors.js';

export type StoreAddress =
  | { kind: 'etcd'; address: string; endpoints: string[] }
  | { kind: 'dir'; address: string; path: string };

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;

export function parseStoreAddress(text: unknown, field = 'cluster.store'): StoreAddress {
  if (typeof text !== 'string' || text === '')
    throw new ValidationError(field, `${field} must be etcd://HOST:PORT[,HOST:PORT…] or dir:///path`);
  if (text.startsWith('dir://')) {
    const path = decodeURIComponent(text.slice('dir://'.length));
    if (!isAbsolute(path)) throw new ValidationError(field, `${field} '${text}' must name an absolute path: dir:///path`);
    return { kind: 'dir', address: text, path };
  }
  if (!text.startsWith('etcd://'))
    throw new ValidationError(field, `${field} '${text}' must start with etcd:// (etcd v3) or dir:// (a directory of records)`);
  const endpoints = text.slice('etcd://'.length).replace(/\/$/, '').split(',').map((hp) => {
    const m = HOST_PORT.exec(hp.trim());
    const port = Number(m?.[2] ?? '2379');
    if (!m || port < 1 || port > 65535) throw new ValidationError(field, `${field}: '${hp}' is not HOST or HOST:PORT`);
    return `http://${m[1]}:${port}`;
  });
  return { kind: 'etcd', address: text, endpoints };
}
