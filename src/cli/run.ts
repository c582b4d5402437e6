// `netplumb run … -- CMD ARGS…`: a sandbox with its network, CMD started in
// it by the engine's launcher (engine.sandboxes.spawn: its namespace, its
// hosts and resolv.conf; host mode runs CMD as it is), stdio and exit status
// passed through. The engine stays open while CMD runs, so
// this process serves the user networks' DNS for it.
import { constants } from 'node:os';
import { Command } from 'commander';
import type { EngineApi, SandboxInfo } from '../model/index.js';
import { waitForChild } from './child.js';
import { cliDir, startDetached } from './detached.js';
import { openServingEngine, withEngine } from './engine.js';
import { classify, report, UsageError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { addSandboxOptions, sandboxCreateOptions, type SandboxFlags } from './sandbox-options.js';
import { out } from './output.js';

const SETUP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function teardown(engine: EngineApi, s: SandboxInfo, rm: boolean): Promise<void> {
  try {
    if (rm) await engine.sandboxes.remove(s.id, { force: true });
  } catch (e) {
    report({ ...classify(e), hint: `the sandbox '${s.name}' may be left behind; remove it with \`netplumb rm -f ${s.name}\`` });
  } finally {
    await engine.close();
  }
}

export function runCommand(): Command {
  return addSandboxOptions(new Command('run'))
    .option('--rm', 'remove the sandbox when CMD exits (default: leave it for `netplumb rm`)')
    .option('-d, --detach', 'start CMD in the background, print the sandbox id and exit; its output goes to a log (`netplumb logs`), `stop`/`start` end and restart it')
    .argument('<cmd...>', 'the command and its arguments, after --')
    .usage('[options] -- CMD [ARGS...]')
    .addHelpText(
      'after',
      '\nSIGINT, SIGTERM and SIGHUP are forwarded to CMD. Exit status: CMD\'s own (128+N when killed by signal N),\n' +
        '125 when netplumb failed before CMD started, 126 when CMD cannot be executed, 127 when it is not found.\n' +
        'With -d, names in user networks resolve while netplumbd serves them (a CLI process that exits serves no DNS).\n' +
        '\nExample:\n  netplumb run --rm --network backend -p 8080:80 -- python3 -m http.server 80',
    )
    .action(async (argv: string[], o: SandboxFlags & { rm?: boolean; detach?: boolean }, cmd: Command) => {
      if (o.detach) return runDetached(argv, o, cmd);
      let engine: EngineApi | undefined;
      let sandbox: SandboxInfo;
      // A signal while the sandbox is being made must not kill us half way:
      // it is remembered, and CMD is then not started (the sandbox is still
      // torn down with --rm).
      let stoppedBy: NodeJS.Signals | undefined;
      const remember = (sig: NodeJS.Signals): void => {
        stoppedBy ??= sig;
      };
      for (const sig of SETUP_SIGNALS) process.on(sig, remember);
      try {
        if (!process.argv.includes('--')) throw new UsageError('the command to run goes after --', 'e.g. netplumb run --rm -- sh -c "ip addr"');
        engine = await openServingEngine(cmd);
        sandbox = await engine.sandboxes.create(sandboxCreateOptions(o));
      } catch (e) {
        const f = classify(e);
        report(f);
        await engine?.close();
        process.exitCode = f.code === EXIT.usage ? EXIT.usage : EXIT.runSetup;
        return;
      } finally {
        for (const sig of SETUP_SIGNALS) process.off(sig, remember);
      }
      if (stoppedBy !== undefined) {
        await teardown(engine, sandbox, o.rm === true);
        process.exitCode = 128 + (constants.signals[stoppedBy] ?? 0);
        return;
      }
      let status: number;
      try {
        status = await waitForChild(await engine.sandboxes.spawn(sandbox.id, argv, { stdio: 'inherit' }), argv[0] ?? '');
      } catch (e) {
        report(classify(e));
        status = EXIT.runSetup;
      }
      await teardown(engine, sandbox, o.rm === true);
      process.exitCode = status;
    });
}

/** `run -d`: the sandbox, CMD started in it in the background, its id printed. */
async function runDetached(argv: string[], o: SandboxFlags & { rm?: boolean }, cmd: Command): Promise<void> {
  if (o.rm) throw new UsageError('--rm and -d cannot be used together', 'remove a detached sandbox with `netplumb rm -f NAME`');
  if (!process.argv.includes('--')) throw new UsageError('the command to run goes after --', 'e.g. netplumb run -d --name web -- python3 -m http.server 80');
  const id = await withEngine(cmd, async (engine) => {
    const s = await engine.sandboxes.create(sandboxCreateOptions(o));
    try {
      await startDetached(engine, cliDir(cmd), s.id, argv);
    } catch (e) {
      await engine.sandboxes.remove(s.id, { force: true });
      throw e;
    }
    return s.id;
  });
  out(`${id}\n`);
}
