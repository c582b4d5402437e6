// Names as a process inside a lab namespace resolves them: its hosts file
// first, then the nameservers of its resolv.conf (with its search list),
// asked over UDP from a socket opened inside the namespace — so a name is
// answered by the network's DNS responder exactly as it answers the
// sandbox's own processes. IPv4 first, as Node's fetch would use it.
import type dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseResolvConf } from '../dns/resolv-conf.js';
import { queryAddresses, type StubAnswer } from '../dns/stub-query.js';
import { Rcode, RRType } from '../dns/wire.js';
import { bindUdp } from '../kernel/sockets.js';
import type { Netns } from '../netns.js';

/** Per nameserver and question, as glibc's default (timeout:5 is too long for tests; 2 s each, 2 attempts). */
const TIMEOUT_MS = 2000;
const ATTEMPTS = 2;

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** The addresses `name` has in a hosts file's text, IPv4 first. */
export function hostsLookup(text: string, name: string): string[] {
  const want = name.toLowerCase();
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const [address, ...names] = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (address && isIP(address) && names.some((n) => n.toLowerCase() === want)) out.push(address);
  }
  return [...out.filter((a) => isIP(a) === 4), ...out.filter((a) => isIP(a) === 6)];
}

function notFound(name: string, why: string): Error {
  return Object.assign(new Error(`cannot resolve '${name}' here: ${why}`), { code: 'ENOTFOUND', hostname: name });
}

export class NamespaceResolver {
  /** `etcDir` holds the namespace's hosts and resolv.conf (read at each lookup: they change with connect/disconnect). */
  constructor(
    private readonly ns: () => Netns,
    private readonly etcDir: () => string,
  ) {}

  /** The addresses of `host`, IPv4 first; an address is its own answer. Rejects with code ENOTFOUND. */
  async resolve(host: string): Promise<string[]> {
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare)) return [bare];
    const dir = this.etcDir();
    const fromHosts = hostsLookup(await readText(join(dir, 'hosts')), bare);
    if (fromHosts.length) return fromHosts;
    const conf = parseResolvConf(await readText(join(dir, 'resolv.conf')));
    if (conf.nameservers.length === 0) throw notFound(host, 'not in its hosts file, and its resolv.conf names no nameserver');
    // As glibc with ndots:1: a name without a dot tries the search list first.
    const candidates = bare.endsWith('.') ? [bare.slice(0, -1)] : bare.includes('.') ? [bare, ...conf.search.map((s) => `${bare}.${s}`)] : [...conf.search.map((s) => `${bare}.${s}`), bare];
    const sockets = new Map<string, dgram.Socket>();
    try {
      const failures: string[] = [];
      for (const name of candidates) {
        const answer = await this.ask(sockets, conf.nameservers, name, failures);
        if (answer?.length) return answer;
      }
      throw notFound(host, failures.length ? [...new Set(failures)].join('; ') : `no address for it from ${conf.nameservers.join(', ')}`);
    } finally {
      for (const s of sockets.values()) s.close();
    }
  }

  /** A socket inside the namespace connected to `server`, made once per lookup. */
  private async socketFor(sockets: Map<string, dgram.Socket>, server: string): Promise<dgram.Socket> {
    let s = sockets.get(server);
    if (s) return s;
    s = await bindUdp(this.ns(), { address: isIP(server) === 6 ? '::' : '0.0.0.0', port: 0 });
    sockets.set(server, s);
    const socket = s;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(53, server, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return socket;
  }

  /**
   * A and then AAAA for `name` from the nameservers, in order: the first
   * definite answer (addresses, or none for a name that does not exist);
   * undefined when no server gave one (refused, timed out, failed).
   */
  private async ask(sockets: Map<string, dgram.Socket>, servers: string[], name: string, failures: string[]): Promise<string[] | undefined> {
    for (const address of servers) {
      let answered = false;
      for (const type of [RRType.A, RRType.AAAA] as const) {
        const r = await this.askOne(sockets, address, name, type, failures);
        if (r === undefined) break;
        answered = true;
        if (r.addresses.length) return r.addresses;
        if (r.rcode === Rcode.NXDOMAIN) break; // the name does not exist, whatever the type
      }
      if (answered) return [];
    }
    return undefined;
  }

  private async askOne(sockets: Map<string, dgram.Socket>, server: string, name: string, type: 1 | 28, failures: string[]): Promise<StubAnswer | undefined> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        const r = await queryAddresses(await this.socketFor(sockets, server), { address: server }, name, type, TIMEOUT_MS);
        if (r.rcode === Rcode.NOERROR || r.rcode === Rcode.NXDOMAIN) return r;
        failures.push(`${server} answered rcode ${r.rcode} for ${name}`);
        return undefined;
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'ECONNREFUSED') {
          failures.push(`nothing answers DNS on ${server} (connection refused)`);
          return undefined;
        }
        if (attempt === ATTEMPTS - 1) failures.push(err.message);
      }
    }
    return undefined;
  }
}
