// Which state root owns a kernel object or firewall entry. Several engines
// with different state roots can share one host: each marks what it makes,
// in the message that makes it, and reconcile and teardown touch only what
// carries their own mark.
//
//   links (bridges, host veth ends, sandbox ends): IFLA_GROUP = owner id,
//       applied by the kernel in the create request itself (the alias is not);
//   firewall: chains and map elements carry the comment "<tag>:<object id>",
//       and the set @owners holds one element per owner (key = owner id,
//       comment = its state root) for as long as that owner has a network:
//       the shared table lives while the set is not empty, and a conflict
//       names the other owner's state root from it.
// Namespaces cannot carry a mark; they are recognised by the records (a
// sandbox record is written, marked pending, before its namespace is made).
import { createHash } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import type { StateDirs } from '../../store/state-store.js';

export interface Owner {
  /**
   * 31 bits from the state root's paths, never 0 (the kernel's default device
   * group): iproute2 reads and prints a group as a signed 32-bit number.
   */
  readonly id: number;
  /** The id as 8 hex digits, as comments carry it. */
  readonly tag: string;
  /** The state root, as other owners' errors name it. */
  readonly root: string;
}

/** nft comments hold at most 254 bytes. */
const MAX_ROOT = 200;

/** The state root a person would recognise: <root> for <root>/run + <root>/lib, else both directories. */
function describeRoot(dirs: StateDirs): string {
  const run = resolve(dirs.runtime);
  const lib = resolve(dirs.config);
  const text = dirname(run) === dirname(lib) && basename(run) === 'run' && basename(lib) === 'lib' ? dirname(run) : `${run} + ${lib}`;
  return Buffer.byteLength(text) <= MAX_ROOT ? text : `…${text.slice(-(MAX_ROOT - 4))}`;
}

export function ownerOf(dirs: StateDirs): Owner {
  const digest = createHash('sha256').update(`${resolve(dirs.runtime)}\0${resolve(dirs.config)}`).digest();
  const id = digest.readUInt32BE(0) & 0x7fffffff || 1;
  return { id, tag: id.toString(16).padStart(8, '0'), root: describeRoot(dirs) };
}

/** "<tag>:<id>", the comment of a firewall entry made for object `id`. */
export function ownerComment(owner: Owner, id: string): string {
  return `${owner.tag}:${id}`;
}

/** The owner tag and object id of a comment made by ownerComment; undefined for any other. */
export function parseOwnerComment(comment: string | undefined): { tag: string; id: string } | undefined {
  const m = /^([0-9a-f]{8}):([0-9a-f]{64})$/.exec(comment ?? '');
  return m ? { tag: m[1]!, id: m[2]! } : undefined;
}
