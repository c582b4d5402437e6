// The daemon's options, checked, from its command line (flags.ts).
import { parseAddress, type DaemonAddress } from '../client/address.js';
import { ValidationError } from '../core/errors.js';
import { canonicalAddress } from '../addressing/ipnet.js';
import type { Upstream } from '../dns/resolver.js';
import type { DaemonFlags, LogLevel } from './flags.js';

export interface DaemonOptions {
  /** Where to listen; default the unix socket netplumb.sock in the runtime directory (/run/netplumb/netplumb.sock). */
  hosts: ListenAddress[];
  stateDir?: string;
  pidfile?: string;
  logLevel: LogLevel;
  /** The unix socket's group, when it exists (default netplumb). */
  group: string;
  tls?: { cacert: string; cert: string; key: string };
  /** Upstream resolvers for names the network DNS does not know (default: the host's resolv.conf). */
  dns?: Upstream[];
  /** The default network's bridge name, or 'none' for no default network. */
  bridge?: string;
  /** The default network's gateway/prefix, as dockerd's --bip (172.17.0.1/16). */
  bip?: string;
  /** How long SIGTERM waits for requests in flight (dockerd's --shutdown-timeout, seconds). */
  shutdownTimeoutMs: number;
  /** Overlay networks' cluster: its store and this host's underlay address (--cluster-store, --advertise-addr). */
  cluster?: { store: string; advertiseAddr: string };
  /** Warm pools (--pool [network=]size): namespaces kept ready per bridge network. */
  pool?: { network: string; size: number }[];
}

/** What -H takes: a client's addresses, and fd:// (every socket systemd passed) or fd://N. */
export type ListenAddress = DaemonAddress | { kind: 'fd'; fd?: number };

function listenAddress(spec: string): ListenAddress {
  const fd = /^fd:\/\/(\d*)$/.exec(spec);
  if (fd) return fd[1] ? { kind: 'fd', fd: Number(fd[1]) } : { kind: 'fd' };
  return parseAddress(spec, 'host');
}

function upstream(spec: string): Upstream {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(spec) ?? /^([0-9.]+)(?::(\d+))?$/.exec(spec) ?? /^([0-9a-fA-F:.]*:[0-9a-fA-F:.]*)()$/.exec(spec);
  if (!m) throw new ValidationError('dns', `--dns ${spec}: give an IP address, optionally with :port (IPv6 in brackets then)`);
  const address = canonicalAddress(m[1] as string, 'dns');
  return m[2] ? { address, port: Number(m[2]) } : { address };
}

/** --pool 8 (the default network, bridge) or --pool NETWORK=8. */
function poolSpec(spec: string): { network: string; size: number } {
  const m = /^(?:([^=]+)=)?(\d+)$/.exec(spec);
  const size = m ? Number(m[2]) : NaN;
  if (!m || size > 1024)
    throw new ValidationError('pool', `--pool ${spec}: give a size from 0 to 1024, for the default network, or NETWORK=SIZE`);
  return { network: m[1] ?? 'bridge', size };
}

export function daemonOptions(f: DaemonFlags, hosts: readonly string[], stateDir: string | undefined): DaemonOptions {
  const o: DaemonOptions = {
    hosts: hosts.map(listenAddress),
    logLevel: f.logLevel as LogLevel,
    group: f.group,
    shutdownTimeoutMs: Number(f.shutdownTimeout) * 1000,
  };
  if (!(o.shutdownTimeoutMs >= 0)) throw new ValidationError('shutdownTimeout', `--shutdown-timeout ${f.shutdownTimeout} must be a number of seconds`);
  if (stateDir !== undefined) o.stateDir = stateDir;
  if (f.pidfile !== undefined) o.pidfile = f.pidfile;
  const tlsFiles = [f.tlscacert, f.tlscert, f.tlskey];
  if (f.tlsverify || tlsFiles.some((x) => x !== undefined)) {
    if (!f.tlsverify || tlsFiles.some((x) => x === undefined))
      throw new ValidationError('tls', 'TLS needs all of --tlsverify, --tlscacert, --tlscert and --tlskey');
    o.tls = { cacert: f.tlscacert as string, cert: f.tlscert as string, key: f.tlskey as string };
  }
  if (o.hosts.some((h) => h.kind === 'tcp') && !o.tls)
    throw new ValidationError('host', 'a tcp:// listener needs --tlsverify, --tlscacert, --tlscert and --tlskey: netplumbd accepts remote clients only with TLS client certificates');
  if (f.dns) o.dns = f.dns.map(upstream);
  if (f.bridge !== undefined) o.bridge = f.bridge;
  if (f.bip !== undefined) o.bip = f.bip;
  if (f.pool) {
    o.pool = f.pool.map(poolSpec);
    const twice = o.pool.find((p, i) => o.pool?.some((q, j) => j < i && q.network === p.network));
    if (twice) throw new ValidationError('pool', `--pool names network '${twice.network}' twice: give one size per network`);
  }
  if (f.advertiseAddr !== undefined && f.clusterAdvertise !== undefined && f.advertiseAddr !== f.clusterAdvertise)
    throw new ValidationError('advertiseAddr', '--advertise-addr and --cluster-advertise (its dockerd name) differ: give one');
  const advertise = f.advertiseAddr ?? f.clusterAdvertise;
  if (f.clusterStore !== undefined || advertise !== undefined) {
    if (f.clusterStore === undefined || advertise === undefined)
      throw new ValidationError('cluster', "a cluster needs both --cluster-store and --advertise-addr (this host's underlay address)");
    o.cluster = { store: f.clusterStore, advertiseAddr: canonicalAddress(advertise, 'advertiseAddr') };
  }
  return o;
}
