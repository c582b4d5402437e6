// `netplumb run … -- CMD ARGS…`: a sandbox with its network, CMD started in
// its namespace (nsenter from util-linux; host mode runs CMD as it is), stdio
// and exit status passed through. The engine stays open while CMD runs, so
// this process serves the user networks' DNS for it.
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { netnsEtcDir } from '../dns/hosts.js';
import type { Engine, SandboxInfo } from '../model/index.js';
import { runChild } from './child.js';
import { openServingEngine } from './engine.js';
import { classify, report, UsageError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { addSandboxOptions, sandboxCreateOptions, type SandboxFlags } from './sandbox-options.js';

/**
 * CMD as it is started: inside the sandbox's namespace, or directly in host
 * mode. Like `ip netns exec`, the sandbox's own hosts and resolv.conf (which
 * point at its network's DNS responder) are bind-mounted over /etc's in a
 * private mount namespace, so that CMD resolves the other sandboxes' names.
 */
export function commandInSandbox(s: SandboxInfo, argv: string[], etcDir: string): string[] {
  if (s.mode === 'host' || s.netnsPath === '') return argv;
  const enter = ['nsenter', `--net=${s.netnsPath}`, '--'];
  const files = s.netnsName === undefined ? undefined : netnsEtcDir(s.netnsName, etcDir);
  if (files === undefined || !existsSync(join(files, 'resolv.conf'))) return [...enter, ...argv];
  const script =
    'for f in hosts resolv.conf; do [ -e "$0/$f" ] && { mount --bind "$0/$f" "/etc/$f" 2>/dev/null || ' +
    'echo "netplumb: could not mount $0/$f over /etc/$f; the command sees the host\'s" >&2; }; done; exec "$@"';
  return [...enter, 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, files, ...argv];
}

const SETUP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function teardown(engine: Engine, s: SandboxInfo, rm: boolean): Promise<void> {
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
    .description("create a sandbox, run CMD inside its network namespace (with the sandbox's hosts and resolv.conf), pass its exit status through")
    .option('--rm', 'remove the sandbox when CMD exits (default: leave it for `netplumb rm`)')
    .argument('<cmd...>', 'the command and its arguments, after --')
    .usage('[options] -- CMD [ARGS...]')
    .addHelpText(
      'after',
      '\nSIGINT, SIGTERM and SIGHUP are forwarded to CMD. Exit status: CMD\'s own (128+N when killed by signal N),\n' +
        '125 when netplumb failed before CMD started, 126 when CMD cannot be executed, 127 when it is not found.\n' +
        '\nExample:\n  netplumb run --rm --network backend -p 8080:80 -- python3 -m http.server 80',
    )
    .action(async (argv: string[], o: SandboxFlags & { rm?: boolean }, cmd: Command) => {
      let engine: Engine | undefined;
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
      const status = await runChild(commandInSandbox(sandbox, argv, engine.etcDir));
      await teardown(engine, sandbox, o.rm === true);
      process.exitCode = status;
    });
}
