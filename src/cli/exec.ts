// `netplumb exec [-i] [-t] [-e K=V] [-w DIR] SANDBOX CMD…`: CMD in an existing
// sandbox, as `docker exec`: its namespace, its hosts and resolv.conf. Options
// end at SANDBOX, so CMD keeps its own (`netplumb exec web ls -la`); commander
// only documents them, this file reads them.
import type { StdioOptions } from 'node:child_process';
import { Command } from 'commander';
import { waitForChild } from './child.js';
import { withEngine } from './engine.js';
import { classify, report, UsageError } from './errors.js';
import { EXIT } from './exit-codes.js';

export interface ExecRequest {
  help: boolean;
  interactive: boolean;
  tty: boolean;
  env: Record<string, string>;
  workdir?: string;
  sandbox: string;
  argv: string[];
}

const HINT = 'usage: netplumb exec [-i] [-t] [-e KEY=VALUE]... [-w DIR] SANDBOX CMD [ARGS...]';

function envEntry(text: string, env: Record<string, string>): void {
  const i = text.indexOf('=');
  if (i === 0) throw new UsageError(`-e '${text}' needs a variable name before '='`, HINT);
  // As docker: `-e NAME` passes this process's NAME, when it has one.
  if (i < 0) {
    const v = process.env[text];
    if (v !== undefined) env[text] = v;
    return;
  }
  env[text.slice(0, i)] = text.slice(i + 1);
}

/** Reads exec's own options up to SANDBOX; everything after it is CMD, untouched. */
export function parseExecArgs(tokens: readonly string[]): ExecRequest {
  const out: Omit<ExecRequest, 'sandbox' | 'argv'> = { help: false, interactive: false, tty: false, env: {} };
  let i = 0;
  const value = (flag: string): string => {
    const v = tokens[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`, HINT);
    return v;
  };
  for (; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (t === '--') {
      i++;
      break;
    }
    if (!t.startsWith('-') || t === '-') break;
    if (t === '-h' || t === '--help') return { ...out, help: true, sandbox: '', argv: [] };
    if (t === '--interactive') out.interactive = true;
    else if (t === '--tty') out.tty = true;
    else if (t === '--env' || t === '-e') envEntry(value(t), out.env);
    else if (t.startsWith('--env=')) envEntry(t.slice(6), out.env);
    else if (t === '--workdir' || t === '-w') out.workdir = value(t);
    else if (t.startsWith('--workdir=')) out.workdir = t.slice(10);
    else if (/^-[it]+$/.test(t)) {
      if (t.includes('i')) out.interactive = true;
      if (t.includes('t')) out.tty = true;
    } else if (t.startsWith('-e')) envEntry(t.slice(2), out.env);
    else if (t.startsWith('-w')) out.workdir = t.slice(2);
    else throw new UsageError(`unknown option '${t}'`, HINT);
  }
  const sandbox = tokens[i];
  const argv = tokens.slice(i + 1);
  if (sandbox === undefined || argv.length === 0) throw new UsageError('exec needs a sandbox and a command', HINT);
  return { ...out, sandbox, argv: [...argv] };
}

/**
 * Without -i the command's stdin is empty (/dev/null); with it, this
 * process's. With -t the command writes to this terminal itself (netplumb
 * allocates no pseudo-terminal: the command gets the one this process has);
 * without it, its output comes through pipes, as docker exec without -t.
 */
function stdioOf(r: ExecRequest): StdioOptions {
  const stdin = r.interactive ? 'inherit' : 'ignore';
  return r.tty ? [stdin, 'inherit', 'inherit'] : [stdin, 'pipe', 'pipe'];
}

export function execCommand(): Command {
  return new Command('exec')
    .usage('[-i] [-t] [-e KEY=VALUE]... [-w DIR] SANDBOX CMD [ARGS...]')
    .option('-i, --interactive', "give CMD this process's stdin (default: empty stdin)")
    .option('-t, --tty', "let CMD write to this process's terminal itself (no pseudo-terminal is allocated)")
    // Values optional for commander only: a -e or -w inside CMD must not make it refuse the line.
    .option('-e, --env [KEY=VALUE]', 'set an environment variable (repeatable); -e KEY passes this process\'s value')
    .option('-w, --workdir [dir]', 'working directory of CMD')
    // Optional and unknown-tolerant for commander: parseExecArgs checks them, and
    // a --help after SANDBOX is CMD's, not ours.
    .argument('[sandbox]', 'sandbox name or id')
    .argument('[cmd...]', 'the command and its arguments')
    .allowUnknownOption()
    .helpOption(false)
    .option('-h, --help', 'display help for command')
    .addHelpText(
      'after',
      "\nOptions end at SANDBOX: what follows is CMD's own. Exit status: CMD's own (128+N when killed by signal N),\n" +
        '125 when netplumb failed before CMD started, 126 when CMD cannot be executed, 127 when it is not found.\n' +
        '\nExample:\n  netplumb exec -e MODE=test web1 sh -c \'getent hosts db && wget -qO- http://db:8080/\'',
    )
    .action(async (_sandbox: unknown, _cmd: unknown, _o: unknown, cmd: Command) => {
      // Commander has read options anywhere; exec's own stop at SANDBOX.
      const tokens = cmd.parent ? rawTokens(cmd) : [];
      let req: ExecRequest;
      try {
        req = parseExecArgs(tokens);
        if (req.help) return void cmd.outputHelp();
      } catch (e) {
        report(classify(e));
        process.exitCode = EXIT.usage;
        return;
      }
      let child;
      try {
        child = await withEngine(cmd, (e) =>
          e.sandboxes.spawn(req.sandbox, req.argv, {
            stdio: stdioOf(req),
            env: { ...process.env, ...req.env },
            ...(req.workdir !== undefined ? { cwd: req.workdir } : {}),
          }),
        );
      } catch (e) {
        report(classify(e));
        process.exitCode = EXIT.runSetup;
        return;
      }
      child.stdout?.pipe(process.stdout);
      child.stderr?.pipe(process.stderr);
      process.exitCode = await waitForChild(child, req.argv[0] ?? '');
    });
}

/** The words after `exec` on the command line as typed (global options before it are the program's). */
function rawTokens(cmd: Command): string[] {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const raw = (root as unknown as { rawArgs: string[] }).rawArgs.slice(2);
  const at = raw.indexOf(cmd.name());
  return at < 0 ? [] : raw.slice(at + 1);
}
