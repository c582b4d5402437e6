// `netplumb demo`: inside the sandbox, builds and proves Docker's bridge
// networking; outside it, starts itself again through scripts/sandbox so that
// nothing on this machine changes.
import { Command } from 'commander';
import { runChild } from './child.js';
import { EXIT } from './exit-codes.js';
import { SANDBOX_SCRIPT } from '../core/package.js';

export function demoCommand(): Command {
  return new Command('demo')
    .addHelpText('after', '\nExits 0 when every check passed and nothing was left behind, 1 otherwise.\n\nExample:\n  netplumb demo')
    .action(async () => {
      if (process.env.NETPLUMB_SANDBOX !== '1') {
        const self = process.argv[1];
        if (!self) throw new Error('cannot tell which script to start again inside the sandbox');
        process.exitCode = await runChild([SANDBOX_SCRIPT, process.execPath, ...process.execArgv, self, 'demo']);
        return;
      }
      const { runDemo } = await import('../demo/run-demo.js');
      process.exitCode = (await runDemo()) ? EXIT.ok : EXIT.failure;
    });
}
