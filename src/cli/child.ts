// Runs a command with this process's stdio, forwards the signals that ask it
// to stop, and gives back the status a shell would: its exit code, 128+N
// when signal N killed it, 127 when it was not found, 126 when it could not
// be executed.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { EXIT } from './exit-codes.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function runChild(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.resolve(EXIT.usage);
  return waitForChild(spawn(file, args, { stdio: 'inherit', env }), file);
}

/** The status of a started child (see above), signals to us forwarded to it until it exits. */
export function waitForChild(child: ChildProcess, name: string): Promise<number> {
  return new Promise((resolve) => {
    // Kept installed until the child is gone: a signal to us is a signal to it.
    const forward = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    for (const s of FORWARDED) process.on(s, forward);
    const done = (status: number): void => {
      for (const s of FORWARDED) process.off(s, forward);
      resolve(status);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      process.stderr.write(`netplumb: cannot run ${name}: ${e.message}\n`);
      done(e.code === 'ENOENT' ? EXIT.commandNotFound : EXIT.cannotExecute);
    });
    child.once('exit', (code, signal) => {
      done(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
