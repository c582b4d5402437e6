// Debian's etcd-server, started by the test: one member per host namespace
// (a three-member cluster on the underlay, as three real hosts would run it),
// data under the test's temporary directory, stopped by PID.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface EtcdCluster {
  /** etcd://a:2379,b:2379,… for the engines. */
  address: string;
  endpoints: string[];
  members: ChildProcess[];
  stop(): Promise<void>;
}

/** POSTs to etcd's gateway from inside `netns` (the test process is not on the underlay); resolves to the parsed answer. */
export function etcdPost<T>(netns: string, endpoint: string, path: string, body?: unknown): T {
  const out = execFileSync('ip', ['netns', 'exec', netns, 'curl', '-sS', '--max-time', '2', ...(body === undefined ? [] : ['-X', 'POST', '-d', JSON.stringify(body)]), `${endpoint}${path}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out) as T;
}

function healthy(netns: string, endpoint: string): boolean {
  try {
    return etcdPost<{ health?: string }>(netns, endpoint, '/health').health === 'true';
  } catch {
    return false;
  }
}

export async function startEtcd(dir: string, members: { netns: string; address: string }[]): Promise<EtcdCluster> {
  const initial = members.map((m, i) => `m${i + 1}=http://${m.address}:2380`).join(',');
  const procs = members.map((m, i) => {
    const data = join(dir, `etcd-m${i + 1}`);
    mkdirSync(data, { recursive: true });
    // `ip netns exec` execs etcd itself, so the PID is etcd's.
    return spawn('ip', [
      'netns', 'exec', m.netns, 'etcd',
      '--name', `m${i + 1}`, '--data-dir', join(data, 'data'),
      '--listen-client-urls', `http://${m.address}:2379`, '--advertise-client-urls', `http://${m.address}:2379`,
      '--listen-peer-urls', `http://${m.address}:2380`, '--initial-advertise-peer-urls', `http://${m.address}:2380`,
      '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', 'netplumb-test',
      '--logger', 'zap', '--log-outputs', join(data, 'etcd.log'),
    ], { stdio: 'ignore' });
  });
  const endpoints = members.map((m) => `http://${m.address}:2379`);
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => new Promise<void>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve();
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    })));
  };
  const deadline = Date.now() + 20_000;
  for (const [i, e] of endpoints.entries()) {
    while (!healthy(members[i]!.netns, e)) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`etcd member ${e} did not become healthy`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { address: `etcd://${members.map((m) => `${m.address}:2379`).join(',')}`, endpoints, members: procs, stop };
}
