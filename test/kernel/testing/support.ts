// Witnesses for lab tests: iproute2 and nft run inside a lab's namespace by
// its file (nsenter), and small helpers to serve and read HTTP.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

/** `ip -j ARGS` inside the namespace mounted at `path`, parsed. */
export function ipIn<T = unknown[]>(path: string, ...args: string[]): T {
  const out = execFileSync('nsenter', [`--net=${path}`, '--', 'ip', '-j', ...args], { encoding: 'utf8' });
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

/** The IPv4 addresses of a namespace as iproute2 reports them. */
export function ipv4In(path: string): string[] {
  return ipIn<{ addr_info: { family: string; local: string }[] }[]>(path, 'addr')
    .flatMap((l) => l.addr_info.filter((a) => a.family === 'inet').map((a) => a.local))
    .sort();
}

/** An HTTP server answering every request with `reply(req)`. */
export function httpServer(reply: (req: http.IncomingMessage) => string): http.Server {
  return http.createServer((req, res) => res.end(reply(req)));
}

/** The inodes of the network namespaces mounted under `<root>/netns`, as "net:[INODE]". */
export function labNamespaces(root: string): string[] {
  const dir = join(root, 'netns');
  return readdirSync(dir).map((f) => `net:[${statSync(join(dir, f)).ino}]`);
}

/** Processes (pids) whose network namespace is one of `namespaces` ("net:[INODE]"). */
export function processesIn(namespaces: readonly string[]): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (namespaces.includes(readlinkSync(`/proc/${p}/ns/net`))) out.push(Number(p));
    } catch {
      // gone, or a zombie
    }
  }
  return out;
}

/** Descriptors of this process that hold one of `namespaces`. */
export function ownHandlesOn(namespaces: readonly string[]): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return namespaces.includes(target) ? [target] : [];
    } catch {
      return [];
    }
  });
}

/** Mounts of this process's mount namespace under `dir`. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(dir));
}

/** Resolves once `check` holds (polled every 20 ms), or with false after `tries` polls. */
export async function eventually(check: () => boolean, tries = 250): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}
