// The CLI (bundled as dist/cli/netplumb.cjs, loaded by bin.ts): parses the
// command line, runs the command, and turns a failure into a message on stderr
// and its documented exit code.
import { CommanderError } from 'commander';
import { packageVersion } from '../core/package.js';
import { EXIT } from './exit-codes.js';
import { buildProgram } from './program.js';

async function main(): Promise<void> {
  try {
    await (await buildProgram(packageVersion())).parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its message (or the help) already.
      const shown = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
      process.exitCode = shown ? EXIT.ok : EXIT.usage;
    } else {
      // Loaded on failure only: the error classes are not needed to succeed.
      const { classify, report } = await import('./errors.js');
      const f = classify(e);
      report(f);
      process.exitCode = f.code;
    }
  }
  // Kernel handles and DNS sockets may keep the event loop alive; the command is done.
  process.exit();
}

// No top-level await: the bin is bundled as CommonJS (scripts/bundle-cli.mjs).
void main();
