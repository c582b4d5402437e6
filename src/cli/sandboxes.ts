// `netplumb ps`, `port`, `rm` and `inspect`: listing, published ports,
// removal and inspection of sandboxes (inspect also of networks).
import { Command } from 'commander';
import type { SandboxInfo } from '../model/index.js';
import { describePort } from '../model/sandboxes/describe-port.js';
import { anyDetached, cliDir, forgetDetached, readDetached, running, stopDetached, type DetachedRecord } from './detached.js';
import { withEngine, withListing } from './engine.js';
import { classify, NotFoundFailure, report, UsageError, type Failure } from './errors.js';
import { EXIT } from './exit-codes.js';
import { withProgress } from './progress.js';
import { formatEach, formatRows, labelMatches, parseFilters } from './format.js';
import { collect, out, printJson, printTable, short } from './output.js';

function networksColumn(s: SandboxInfo): string {
  if (s.networks.length === 0) return s.mode === 'container' ? `container:${short(s.joinedTo ?? '')}` : s.mode;
  return s.networks.map((n) => `${n.network}=${n.ipv4}`).join(', ');
}

/** running / exited (a `run -d` process that ended) / created (no process of ours). */
function statusOf(r: DetachedRecord | undefined): 'running' | 'exited' | 'created' {
  return r === undefined ? 'created' : running(r) ? 'running' : 'exited';
}

const PS_FILTERS = ['id', 'name', 'label', 'network', 'status', 'mode'] as const;

/** The fields `ps --format` offers. */
function psRow(s: SandboxInfo, r: DetachedRecord | undefined, noTrunc: boolean): Record<string, unknown> {
  return {
    ID: noTrunc ? s.id : short(s.id),
    Name: s.name,
    Names: s.name,
    Mode: s.mode,
    Networks: networksColumn(s),
    Ports: s.ports.map(describePort).join(', '),
    Status: statusOf(r),
    Command: r ? r.argv.join(' ') : '',
    Labels: Object.entries(s.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    CreatedAt: s.created,
    Netns: s.netnsPath || '(host)',
    Hostname: s.hostname,
  };
}

export function psCommand(): Command {
  return new Command('ps')
    .option('-a, --all', "accepted for Docker's sake: every sandbox is listed, with or without a process")
    .option('-q, --quiet', 'print only ids')
    .option('-f, --filter <key=value>', `filter: ${PS_FILTERS.map((k) => `${k}=…`).join(', ')} (status: running, exited, created) (repeatable)`, collect)
    .option('--format <template>', "Go-template-like: 'table', 'json', or e.g. '{{.Name}} {{.Status}}' (fields .ID .Name .Mode .Networks .Ports .Status .Command .Labels .CreatedAt .Netns .Hostname)")
    .option('--no-trunc', 'print whole ids')
    .option('--json', 'print the sandboxes as a JSON array')
    .addHelpText('after', "\nExamples:\n  netplumb ps --filter network=backend -q\n  netplumb ps --format '{{.Name}}\\t{{.Status}}'")
    .action(async (o: { quiet?: boolean; filter?: string[]; format?: string; trunc: boolean; json?: boolean }, cmd: Command) => {
      const f = parseFilters(o.filter, PS_FILTERS);
      const dir = cliDir(cmd);
      const any = (key: string, test: (v: string) => boolean): boolean => !f.has(key) || (f.get(key) ?? []).some(test);
      const all = await withListing(cmd, (e) => e.sandboxes.list());
      const withProcess = all.map((s) => ({ s, r: readDetached(dir, s.id) }));
      const list = withProcess.filter(
        ({ s, r }) =>
          any('id', (v) => s.id.startsWith(v)) &&
          any('name', (v) => s.name.includes(v)) &&
          any('label', (v) => labelMatches(s.labels ?? {}, v)) &&
          any('network', (v) => s.networks.some((n) => n.network === v || n.networkId.startsWith(v))) &&
          any('mode', (v) => s.mode === v) &&
          any('status', (v) => statusOf(r) === v),
      );
      if (o.json) return printJson(list.map(({ s }) => s));
      const rows = list.map(({ s, r }) => psRow(s, r, !o.trunc));
      if (o.quiet) return void out(list.map(({ s }) => `${s.id}\n`).join(''));
      if (o.format !== undefined) return void out(formatRows(o.format, rows, '{{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Networks}}\t{{.Ports}}\t{{.Status}}'));
      printTable(
        ['SANDBOX ID', 'NAME', 'MODE', 'NETWORKS', 'PORTS', 'NETNS', 'STATUS'],
        rows.map((r) => [String(r.ID), String(r.Name), String(r.Mode), String(r.Networks), String(r.Ports), String(r.Netns), String(r.Status)]),
      );
    });
}

/** `docker port NAME 80/tcp`: the container port, with /tcp when no protocol is given. */
function portFilter(spec: string | undefined): { port: number; protocol: string } | undefined {
  if (spec === undefined) return undefined;
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(spec);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw new UsageError(`'${spec}' is not a port: give PORT or PORT/PROTO, e.g. 80 or 53/udp`);
  return { port: Number(m[1]), protocol: m[2] ?? 'tcp' };
}

export function portCommand(): Command {
  return new Command('port')
    .argument('<name>', 'sandbox name or id')
    .argument('[port]', 'a container port, PORT or PORT/PROTO (default protocol tcp)')
    .option('--json', 'print the ports as a JSON array')
    .addHelpText('after', '\nExamples:\n  netplumb port web1          # 80/tcp -> 0.0.0.0:8080\n  netplumb port web1 80/tcp   # 0.0.0.0:8080')
    .action(async (name: string, spec: string | undefined, o: { json?: boolean }, cmd: Command) => {
      const want = portFilter(spec);
      const all = await withEngine(cmd, (e) => e.sandboxes.ports(name));
      const ports = want ? all.filter((p) => p.containerPort === want.port && p.protocol === want.protocol) : all;
      if (o.json) return printJson(ports);
      if (want) {
        if (ports.length === 0) throw new NotFoundFailure(`no public port '${want.port}/${want.protocol}' published for ${name}`, `see what is published with \`netplumb port ${name}\``);
        // As Docker prints it: only the host side.
        return void out(ports.map((p) => `${describePort(p).split(' -> ')[1]}\n`).join(''));
      }
      out(ports.map((p) => `${describePort(p)}\n`).join(''));
    });
}

export function rmCommand(): Command {
  return new Command('rm')
    .argument('<name...>', 'sandbox names or ids')
    .option('-f, --force', 'kill a process `run -d` left running in it; succeed also when a sandbox is already gone (as a CNI DEL does)')
    .addHelpText('after', '\nExample:\n  netplumb rm -f web1 web2')
    .action(async (names: string[], o: { force?: boolean }, cmd: Command) => {
      // Like `docker rm`: every name is tried; the last failure decides the exit code.
      let failed: Failure | undefined;
      const dir = cliDir(cmd);
      // With nothing of `run -d` about, one request per sandbox: no look-up for its id first.
      const detached = anyDetached(dir);
      await withProgress('removing sandboxes', {}, (p) => withEngine(cmd, async (e) => {
        for (const [i, n] of names.entries()) {
          p.step(`${n} ${i + 1}/${names.length}`);
          try {
            const s = detached ? await e.sandboxes.inspect(n).catch(() => undefined) : undefined;
            const r = s && readDetached(dir, s.id);
            if (s && r && running(r)) {
              if (!o.force)
                throw new UsageError(`cannot remove a running sandbox '${s.name}': stop it before removing it, or force the removal`, `netplumb stop ${s.name}, or netplumb rm -f ${s.name}`);
              await stopDetached(r, 0);
            }
            await e.sandboxes.remove(n, { force: o.force === true });
            if (s) forgetDetached(dir, s.id);
            p.clear();
            out(`${n}\n`);
          } catch (err) {
            failed = classify(err);
            if (err instanceof UsageError) failed.code = EXIT.conflict;
            p.clear();
            report(failed);
          }
        }
      }));
      if (failed) process.exitCode = failed.code;
    });
}

export function inspectCommand(): Command {
  return new Command('inspect')
    .argument('<name...>', 'sandbox or network names or ids')
    .option('-f, --format <template>', "Go-template-like, once per object, e.g. '{{.hostname}}' or '{{json .networks}}'")
    .option('--type <type>', 'look only for a sandbox or only for a network')
    .addHelpText('after', "\nExamples:\n  netplumb inspect web1\n  netplumb inspect -f '{{.netnsPath}}' web1")
    .action(async (names: string[], o: { format?: string; type?: string }, cmd: Command) => {
      if (o.type !== undefined && o.type !== 'sandbox' && o.type !== 'network') throw new UsageError(`--type '${o.type}' must be sandbox or network`);
      let failed: Failure | undefined;
      const found = await withEngine(cmd, async (e) => {
        const out: unknown[] = [];
        for (const n of names) {
          const s = o.type === 'network' ? undefined : await e.sandboxes.inspect(n).catch(() => undefined);
          const net = s || o.type === 'sandbox' ? undefined : await e.networks.inspect(n).catch(() => undefined);
          if (s ?? net) out.push(s ?? net);
          else {
            failed = { code: EXIT.notFound, message: `no such object: ${n}`, hint: 'list sandboxes with `netplumb ps`, networks with `netplumb network ls`' };
            report(failed);
          }
        }
        return out;
      });
      if (o.format !== undefined) out(formatEach(o.format, found));
      else printJson(found);
      if (failed) process.exitCode = failed.code;
    });
}
