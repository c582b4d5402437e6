// Running the daemon until SIGTERM or SIGINT: start (or say clearly why it
// cannot), then stop cleanly on the first signal and at once on a second.
// Shared by the netplumbd executable and `netplumb daemon`.
import { packageVersion } from '../core/package.js';
import { DaemonRunningError, PermissionError } from '../core/errors.js';
import { FIREWALL_TABLE } from '../model/firewall/layout.js';
import { Daemon } from './daemon.js';
import { createLogger } from './logger.js';
import type { DaemonOptions } from './options.js';

/** Runs until stopped; resolves to the exit status. */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  const log = createLogger(o.logLevel);
  let daemon: Daemon;
  try {
    daemon = await Daemon.start(o, log, packageVersion());
  } catch (e) {
    let message = (e as Error).message;
    if (e instanceof DaemonRunningError)
      message = `another netplumbd (pid ${e.pid}) already owns the state in ${e.runtimeDir}${e.socket ? ` and listens on ${e.socket}` : ''}; stop it first, or give this one another --state-dir`;
    else if (e instanceof PermissionError && e.object === `table inet ${FIREWALL_TABLE}`)
      message = `another process owns table inet ${FIREWALL_TABLE} in this network namespace (another netplumbd, on another state root?): one daemon per network namespace owns the firewall (${e.message})`;
    log.fatal({ err: e }, 'could not start');
    process.stderr.write(`netplumbd: ${message}\n`);
    return 1;
  }
  log.info({ version: daemon.description.version, sockets: daemon.description.sockets }, 'started');
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal while stopping: exiting now');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'stopping: answering the requests in flight');
      daemon.stop().then(resolve, (e: unknown) => {
        log.error({ err: e }, 'stopping failed');
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', () => log.info('SIGHUP: there is no configuration to reload'));
  });
  return 0;
}
