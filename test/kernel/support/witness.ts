// Independent witnesses: iproute2 and nft run as separate processes, so a test
// can check what the kernel reports without trusting the library's own parser.
// Only tests use these; the library never spawns them.
import { execFileSync } from 'node:child_process';

/** `ip -j [-n NS] ARGS...` parsed; NS is a name under /run/netns. */
export function ipJson<T = unknown[]>(netns: string | undefined, ...args: string[]): T {
  const out = execFileSync('ip', ['-j', ...(netns ? ['-n', netns] : []), ...args], { encoding: 'utf8' });
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

/** `ip [-n NS] ARGS...` as text. */
export function ip(netns: string | undefined, ...args: string[]): string {
  return execFileSync('ip', [...(netns ? ['-n', netns] : []), ...args], { encoding: 'utf8' });
}

/** `nft -j list ruleset` inside NS (via ip netns exec), parsed. */
export function nftJson(netns: string | undefined, ...args: string[]): { nftables: Record<string, unknown>[] } {
  const cmd = netns ? ['ip', 'netns', 'exec', netns, 'nft'] : ['nft'];
  const out = execFileSync(cmd[0]!, [...cmd.slice(1), '-j', ...args], { encoding: 'utf8' });
  return JSON.parse(out) as { nftables: Record<string, unknown>[] };
}

/**
 * `ip -d link show` once the kernel has finished taking apart the pairs of
 * namespaces already deleted: a link whose peer namespace has no name any
 * more (`link-netnsid N`) goes in the kernel's background work, so a snapshot
 * taken right after a removal would hold it, and a later one not. Waits up
 * to 3 s; a peer namespace that stays unnamed (a runtime's) is then part of
 * the state. iproute2's warnings about such peers are dropped.
 */
export function settledLinks(netns: string | undefined): string {
  const deadline = Date.now() + 3000;
  for (;;) {
    const links = execFileSync('ip', [...(netns ? ['-n', netns] : []), '-d', 'link', 'show'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (!/ link-netnsid \d+/.test(links) || Date.now() > deadline) return links;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

/** The network state of a namespace as iproute2 and nft see it, for before/after comparisons. */
export function snapshot(netns?: string): string {
  const parts = [settledLinks(netns), ip(netns, 'addr', 'show'), ip(netns, 'route', 'show', 'table', 'all')];
  try {
    const cmd = netns ? ['ip', 'netns', 'exec', netns, 'nft', 'list', 'ruleset'] : ['nft', 'list', 'ruleset'];
    parts.push(execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' }));
  } catch {
    parts.push('(nft unavailable)');
  }
  // Counters and interface statistics change by themselves; drop them. So does nft's "# progname" of an owned
  // table: not the kernel's word but nft's search of every /proc/PID/fd for the owning socket, which finds none
  // ("(null)") now and then while processes come and go; the owner flag itself stays compared.
  return parts.join('\n').replace(/^\s+(RX|TX).*\n.*\n/gm, '').replace(/packets \d+ bytes \d+/g, 'packets N bytes N').replace(/ # progname .*$/gm, '')
    .replace(/\b(\w+_timer) +[\d.]+/g, '$1 N');
}

/** True when running inside scripts/sandbox (never touch the real network otherwise). */
export function assertSandbox(): void {
  if (process.env.NETPLUMB_SANDBOX !== '1')
    throw new Error('network tests run only inside scripts/sandbox (npm test does that)');
}
