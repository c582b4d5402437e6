// `netplumb ps`, `port` and `rm`: listing, published ports and removal of sandboxes.
import { Command } from 'commander';
import type { SandboxInfo } from '../model/index.js';
import { describePort } from '../model/sandboxes/describe-port.js';
import { withEngine } from './engine.js';
import { classify, report, type Failure } from './errors.js';
import { printJson, printTable, short } from './output.js';

function networksColumn(s: SandboxInfo): string {
  if (s.networks.length === 0) return s.mode === 'container' ? `container:${short(s.joinedTo ?? '')}` : s.mode;
  return s.networks.map((n) => `${n.network}=${n.ipv4}`).join(', ');
}

export function psCommand(): Command {
  return new Command('ps')
    .description('list sandboxes')
    .option('--json', 'print the sandboxes as a JSON array')
    .option('-q, --quiet', 'print only ids')
    .addHelpText('after', '\nExample:\n  netplumb ps --json')
    .action(async (o: { json?: boolean; quiet?: boolean }, cmd: Command) => {
      const list = await withEngine(cmd, (e) => e.sandboxes.list());
      if (o.json) return printJson(list);
      if (o.quiet) return void process.stdout.write(list.map((s) => `${s.id}\n`).join(''));
      printTable(
        ['SANDBOX ID', 'NAME', 'MODE', 'NETWORKS', 'PORTS', 'NETNS'],
        list.map((s) => [short(s.id), s.name, s.mode, networksColumn(s), s.ports.map(describePort).join(', '), s.netnsPath || '(host)']),
      );
    });
}

export function portCommand(): Command {
  return new Command('port')
    .description("list a sandbox's published ports, as `docker port`")
    .argument('<name>', 'sandbox name or id')
    .option('--json', 'print the ports as a JSON array')
    .addHelpText('after', '\nExample:\n  netplumb port web1          # 80/tcp -> 0.0.0.0:8080')
    .action(async (name: string, o: { json?: boolean }, cmd: Command) => {
      const ports = await withEngine(cmd, (e) => e.sandboxes.ports(name));
      if (o.json) return printJson(ports);
      process.stdout.write(ports.map((p) => `${describePort(p)}\n`).join(''));
    });
}

export function rmCommand(): Command {
  return new Command('rm')
    .description('remove sandboxes: ports, endpoints and namespace (an adopted namespace is released, not deleted)')
    .argument('<name...>', 'sandbox names or ids')
    .option('-f, --force', 'succeed also when a sandbox is already gone (as a CNI DEL does)')
    .addHelpText('after', '\nExample:\n  netplumb rm -f web1 web2')
    .action(async (names: string[], o: { force?: boolean }, cmd: Command) => {
      // Like `docker rm`: every name is tried; the last failure decides the exit code.
      let failed: Failure | undefined;
      await withEngine(cmd, async (e) => {
        for (const n of names) {
          try {
            await e.sandboxes.remove(n, { force: o.force === true });
            process.stdout.write(`${n}\n`);
          } catch (err) {
            failed = classify(err);
            report(failed);
          }
        }
      });
      if (failed) process.exitCode = failed.code;
    });
}
