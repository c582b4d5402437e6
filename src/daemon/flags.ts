// netplumbd's command line, with dockerd's names for the same things
// (-H/--host, --pidfile, -l/--log-level, -G/--group, --tlsverify and its
// files, --dns, -b/--bridge, --bip, --shutdown-timeout) plus --state-dir as
// the netplumb CLI has it. `netplumb daemon` takes the same flags; -H and
// --state-dir are then the CLI's global options. Only commander here: the
// CLI builds its command tree from this without loading the daemon.
import { Command, Option } from 'commander';

/** dockerd's --log-level values; panic is the same as fatal. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal', 'panic'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DaemonFlags {
  pidfile?: string;
  logLevel: string;
  group: string;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  dns?: string[];
  bridge?: string;
  bip?: string;
  shutdownTimeout: string;
  clusterStore?: string;
  advertiseAddr?: string;
  clusterAdvertise?: string;
  pool?: string[];
}

/** A repeatable option's values. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** The flags both `netplumbd` and `netplumb daemon` take. */
export function addDaemonFlags(cmd: Command): Command {
  return cmd
    .option('--pidfile <path>', 'write the daemon\'s pid to this file while it runs')
    .addOption(new Option('-l, --log-level <level>', 'least severe log level written (JSON lines on stdout)').choices([...LOG_LEVELS]).default('info'))
    .option('-G, --group <name>', 'group of the unix socket, when that group exists (else only root may use it)', 'netplumb')
    .option('--tlsverify', 'require TLS client certificates signed by --tlscacert (needed for tcp:// listeners)')
    .option('--tlscacert <path>', 'CA certificate that client certificates must be signed by')
    .option('--tlscert <path>', "the daemon's TLS certificate")
    .option('--tlskey <path>', "the daemon's TLS key")
    .option('--dns <ip[:port]>', 'upstream DNS server for names the network DNS does not answer (repeatable; default: /etc/resolv.conf)', collect)
    .option('-b, --bridge <name>', "the default network's bridge (default np0), or 'none' for no default network")
    .option('--bip <gateway/prefix>', "the default network's gateway and prefix, e.g. 172.17.0.1/16")
    .option('--shutdown-timeout <seconds>', 'on SIGTERM, wait this long for requests in flight', '15')
    .option('--cluster-store <url>', 'join a cluster for overlay networks: etcd://HOST:2379[,HOST:2379...] or dir:///path')
    .option('--advertise-addr <ip>', "this host's underlay address, where the other hosts send VXLAN (needed with --cluster-store)")
    .option('--cluster-advertise <ip>', "dockerd's name for --advertise-addr")
    .option('--pool <[network=]size>', 'keep this many namespaces ready, their veth pair on the network\'s bridge, for sandboxes on it (default network: bridge; repeatable, one per network)', collect);
}

/** 192.0.2.53, 192.0.2.53:5353, 2001:db8::53, [2001:db8::53]:5353. */
