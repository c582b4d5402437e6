// `logs`, `stop` and `start`: the process `run -d` left in a sandbox, as
// `docker logs/stop/start` treat a container's main process.
import { createReadStream, statSync } from 'node:fs';
import { Command } from 'commander';
import { cliDir, hasLog, logFile, readDetached, running, startDetached, stopDetached } from './detached.js';
import { withEngine } from './engine.js';
import { UsageError } from './errors.js';
import { out } from './output.js';

/** Prints the log from `from` on; returns where it ended. */
async function printFrom(file: string, from: number): Promise<number> {
  const size = statSync(file).size;
  if (size <= from) return from;
  await new Promise<void>((resolve, reject) => {
    const s = createReadStream(file, { start: from, end: size - 1 });
    s.on('error', reject);
    s.on('end', resolve);
    s.pipe(process.stdout, { end: false });
  });
  return size;
}

export function logsCommand(): Command {
  return new Command('logs')
    .argument('<name>', 'sandbox name or id')
    .option('-f, --follow', 'keep printing new output until the process exits')
    .addHelpText('after', '\nExample:\n  netplumb run -d --name web -- python3 -m http.server 80\n  netplumb logs -f web')
    .action(async (name: string, o: { follow?: boolean }, cmd: Command) => {
      const s = await withEngine(cmd, (e) => e.sandboxes.inspect(name));
      const dir = cliDir(cmd);
      if (!hasLog(dir, s.id)) throw new UsageError(`sandbox '${s.name}' has no log`, 'only a process started with `netplumb run -d` has one');
      let at = await printFrom(logFile(dir, s.id), 0);
      while (o.follow && running(readDetached(dir, s.id))) {
        await new Promise((r) => setTimeout(r, 200));
        at = await printFrom(logFile(dir, s.id), at);
      }
      if (o.follow) await printFrom(logFile(dir, s.id), at);
    });
}

export function stopCommand(): Command {
  return new Command('stop')
    .argument('<name...>', 'sandbox names or ids')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL', '10')
    .addHelpText('after', '\nExample:\n  netplumb stop -t 2 web')
    .action(async (names: string[], o: { time: string }, cmd: Command) => {
      const grace = Number(o.time);
      if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--time '${o.time}' must be a number of seconds (0 or more)`);
      const dir = cliDir(cmd);
      await withEngine(cmd, async (e) => {
        for (const n of names) {
          const s = await e.sandboxes.inspect(n);
          const r = readDetached(dir, s.id);
          if (r) await stopDetached(r, grace * 1000);
          out(`${n}\n`);
        }
      });
    });
}

export function startCommand(): Command {
  return new Command('start')
    .argument('<name...>', 'sandbox names or ids')
    .addHelpText('after', '\nExample:\n  netplumb start web')
    .action(async (names: string[], _o: unknown, cmd: Command) => {
      const dir = cliDir(cmd);
      await withEngine(cmd, async (e) => {
        for (const n of names) {
          const s = await e.sandboxes.inspect(n);
          const r = readDetached(dir, s.id);
          if (!r) throw new UsageError(`sandbox '${s.name}' has no command to start`, 'only a sandbox made by `netplumb run -d` has one; use `netplumb exec` for others');
          if (!running(r)) await startDetached(e, dir, s.id, r.argv);
          out(`${n}\n`);
        }
      });
    });
}
