// `netplumb sandbox -- CMD…`: CMD in a throwaway user+net+mount namespace
// (scripts/sandbox), for trying netplumb, and other projects' integration
// tests, without root and without touching the machine's network.
import { Command } from 'commander';
import { runChild } from './child.js';
import { SANDBOX_SCRIPT } from '../core/package.js';

export function sandboxCommand(): Command {
  return new Command('sandbox')
    .argument('<cmd...>', 'the command and its arguments, after --')
    .usage('-- CMD [ARGS...]')
    .addHelpText('after', '\nInside, NETPLUMB_SANDBOX=1 is set; everything CMD made is gone when it exits.\n\nExample:\n  netplumb sandbox -- npx vitest run')
    .action(async (argv: string[]) => {
      process.exitCode = await runChild([SANDBOX_SCRIPT, ...argv]);
    });
}
