#!/usr/bin/env node
// The netplumbd executable: dockerd's flags for the same things, then the
// daemon until SIGTERM.
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../core/package.js';
import { DEFAULT_SOCKET } from '../client/address.js';
import { addDaemonFlags, collect, type DaemonFlags } from './flags.js';
import { daemonOptions } from './options.js';
import { runDaemon } from './run.js';

const program = addDaemonFlags(
  new Command('netplumbd')
    .description("netplumb's daemon: one engine per host and state root, serving Docker's network API (1.41) and netplumb's own on a socket")
    .version(packageVersion(), '-v, --version')
    .option('-H, --host <address>', `where to listen: unix:///path or tcp://HOST:PORT (TLS only; repeatable; default unix://<state>/run/netplumb.sock, which is ${DEFAULT_SOCKET} for the default state)`, collect)
    .option('--state-dir <dir>', 'the state root (default NETPLUMB_STATE_DIR, else /run/netplumb and /var/lib/netplumb)'),
)
  .addHelpText('after', '\nExample:\n  netplumbd -H unix:///run/netplumb/netplumb.sock --log-level debug\n  DOCKER_HOST=unix:///run/netplumb/netplumb.sock docker network ls')
  .exitOverride();

try {
  program.parse(process.argv);
  const flags = program.opts<DaemonFlags & { host?: string[]; stateDir?: string }>();
  const options = daemonOptions(flags, flags.host ?? [], flags.stateDir ?? process.env.NETPLUMB_STATE_DIR);
  process.exit(await runDaemon(options));
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  process.stderr.write(`netplumbd: ${(e as Error).message}\n`);
  process.exit(2);
}
