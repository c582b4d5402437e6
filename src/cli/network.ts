// `netplumb network …`: Docker's network commands over engine.networks and
// engine.sandboxes.connect/disconnect, with Docker's flags and meanings
// (`rm -f` ignores a missing network; --disconnect is netplumb's own).
import { Command } from 'commander';
import type { NetworkCreateOptions, NetworkInspect } from '../model/index.js';
import { withEngine, withListing } from './engine.js';
import { classify, report, UsageError, type Failure } from './errors.js';
import { formatEach, formatRows, labelMatches, parseFilters } from './format.js';
import { collect, confirm, keyValues, out, printJson, printTable, short } from './output.js';

function createCommand(): Command {
  return new Command('create')
    .description('create a network (bridge: its bridge, gateway address and firewall rules in one transaction; macvlan, ipvlan; overlay through netplumbd); prints its id')
    .argument('<name>', 'network name')
    .option('--subnet <cidr>', 'subnet (repeatable: one IPv4 and, with --ipv6, one IPv6); default: a free IPv4 one from the address pools', collect)
    .option('--gateway <ip>', 'gateway address of the subnet of its family (repeatable); default: the subnet\'s first address', collect)
    .option('--ip-range <cidr>', 'allocate container addresses from this part of the IPv4 subnet')
    .option('--ipv6', 'enable IPv6: give an IPv6 --subnet as well')
    .option('--internal', 'no traffic to or from anything outside the network')
    .option('--attachable', "accepted for Docker's sake: every netplumb network can be joined by any sandbox")
    .option('--aux-address <name=ip>', 'an address of the subnet that no sandbox gets (repeatable)', collect)
    .option('--label <key=value>', 'set metadata on the network (repeatable)', collect)
    .option('-d, --driver <driver>', 'bridge (default), macvlan, ipvlan, or overlay (needs an engine with a cluster store: netplumbd)')
    .option('-o, --opt <key=value>', "driver option, as Docker's (repeatable), e.g. com.docker.network.bridge.enable_icc=false, parent=eth0, vni=4096", collect)
    .addHelpText(
      'after',
      '\nExamples:\n  netplumb network create --subnet 172.22.16.0/24 --gateway 172.22.16.1 backend\n' +
        '  netplumb network create --ipv6 --subnet 172.22.17.0/24 --subnet fd00:17::/64 --label team=web dual\n' +
        '  netplumb network create -d macvlan --subnet 192.0.2.0/24 --gateway 192.0.2.1 -o parent=eth0 lan',
    )
    .action(async (name: string, o: { subnet?: string[]; gateway?: string[]; ipRange?: string; ipv6?: boolean; internal?: boolean; auxAddress?: string[]; label?: string[]; opt?: string[]; driver?: string }, cmd: Command) => {
      const opts: NetworkCreateOptions = { name, options: keyValues(o.opt ?? [], '--opt'), labels: keyValues(o.label ?? [], '--label') };
      if (o.driver !== undefined) opts.driver = o.driver as NonNullable<NetworkCreateOptions['driver']>;
      const v6 = (s: string): boolean => s.includes(':');
      const subnets = o.subnet ?? [];
      const gateways = o.gateway ?? [];
      const [subnet4, ...more4] = subnets.filter((s) => !v6(s));
      const [subnet6, ...more6] = subnets.filter(v6);
      if (more4.length || more6.length) throw new UsageError('give at most one IPv4 and one IPv6 --subnet');
      if (subnet6 !== undefined && !o.ipv6) throw new UsageError(`--subnet ${subnet6} is IPv6: add --ipv6 to enable IPv6 on the network`);
      if (o.ipv6 && subnet6 === undefined) throw new UsageError('--ipv6 needs an IPv6 --subnet', 'e.g. --ipv6 --subnet fd00:1::/64 (netplumb has no IPv6 address pool to pick from)');
      const gateway4 = gateways.find((g) => !v6(g));
      const gateway6 = gateways.find(v6);
      if (subnet4 !== undefined) opts.subnet = subnet4;
      if (gateway4 !== undefined) opts.gateway = gateway4;
      if (subnet6 !== undefined) opts.ipv6 = { subnet: subnet6, ...(gateway6 !== undefined ? { gateway: gateway6 } : {}) };
      if (o.ipRange !== undefined) opts.ipRange = o.ipRange;
      if (o.auxAddress?.length) opts.auxAddresses = keyValues(o.auxAddress, '--aux-address');
      if (o.internal) opts.internal = true;
      if (gateway4 !== undefined && subnet4 === undefined) throw new UsageError('--gateway needs --subnet', 'give the subnet the gateway belongs to');
      const n = await withEngine(cmd, (e) => e.networks.create(opts));
      out(`${n.Id}\n`);
    });
}

const LS_FILTERS = ['name', 'id', 'driver', 'label', 'label!', 'scope', 'type'] as const;
const BUILTIN = new Set(['bridge', 'host', 'none']);

/** `docker network ls --filter`: name and id match a part, the others exactly; filters of one key OR, of different keys AND. */
function networkFilter(values: string[] | undefined): (n: NetworkInspect) => boolean {
  const f = parseFilters(values, LS_FILTERS);
  const any = (key: string, test: (v: string) => boolean): boolean => !f.has(key) || (f.get(key) ?? []).some(test);
  return (n) =>
    any('name', (v) => n.Name.includes(v)) &&
    any('id', (v) => n.Id.startsWith(v)) &&
    any('driver', (v) => n.Driver === v) &&
    any('scope', (v) => n.Scope === v) &&
    any('type', (v) => (v === 'builtin') === BUILTIN.has(n.Name)) &&
    any('label', (v) => labelMatches(n.Labels, v)) &&
    (f.get('label!') ?? []).every((v) => !labelMatches(n.Labels, v));
}

/** The fields `network ls --format` offers, as Docker's (.ID .Name .Driver .Scope .IPv6 .Internal .Labels .CreatedAt) and netplumb's (.Subnet .Gateway .Bridge .Sandboxes). */
function lsRow(n: NetworkInspect, noTrunc: boolean): Record<string, unknown> {
  return {
    ID: noTrunc ? n.Id : short(n.Id),
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv6: n.EnableIPv6,
    Internal: n.Internal,
    Labels: Object.entries(n.Labels).map(([k, v]) => `${k}=${v}`).join(','),
    CreatedAt: n.Created,
    Subnet: n.IPAM.Config.map((c) => c.Subnet).join(','),
    Gateway: n.IPAM.Config.map((c) => c.Gateway).join(','),
    Bridge: n.Options['com.docker.network.bridge.name'] ?? n.Options.parent ?? '',
    Sandboxes: Object.keys(n.Containers).length,
  };
}

function lsCommand(): Command {
  return new Command('ls')
    .alias('list')
    .description('list networks')
    .option('-q, --quiet', 'print only ids')
    .option('-f, --filter <key=value>', `filter: ${LS_FILTERS.filter((k) => k !== 'label!').map((k) => `${k}=…`).join(', ')}, label!=… (repeatable)`, collect)
    .option('--format <template>', "Go-template-like: 'table', 'json', or e.g. '{{.ID}}\\t{{.Name}}' (fields .ID .Name .Driver .Scope .IPv6 .Internal .Labels .CreatedAt .Subnet .Gateway .Bridge .Sandboxes)")
    .option('--no-trunc', 'print whole ids')
    .option('--json', 'print the networks as a JSON array of inspect objects')
    .addHelpText('after', "\nExamples:\n  netplumb network ls --filter driver=bridge -q\n  netplumb network ls --format '{{.Name}}: {{.Subnet}}'")
    .action(async (o: { quiet?: boolean; filter?: string[]; format?: string; trunc: boolean; json?: boolean }, cmd: Command) => {
      const keep = networkFilter(o.filter);
      const list = (await withListing(cmd, (e) => e.networks.list())).filter(keep);
      if (o.json) return printJson(list);
      const rows = list.map((n) => lsRow(n, !o.trunc));
      if (o.quiet) return void out(rows.map((r) => `${String(r.ID)}\n`).join(''));
      if (o.format !== undefined) return void out(formatRows(o.format, rows, '{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}'));
      printTable(
        ['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET', 'GATEWAY', 'BRIDGE', 'INTERNAL', 'SANDBOXES'],
        rows.map((r) => [String(r.ID), String(r.Name), String(r.Driver), String(r.Subnet), String(r.Gateway), String(r.Bridge), String(r.Internal), String(r.Sandboxes)]),
      );
    });
}

function inspectCommand(): Command {
  return new Command('inspect')
    .description('print networks as `docker network inspect` does (a JSON array)')
    .argument('<name...>', 'network names or ids')
    .option('-f, --format <template>', "Go-template-like, once per network, e.g. '{{.Id}}' or '{{json .IPAM.Config}}'")
    .addHelpText('after', "\nExamples:\n  netplumb network inspect backend\n  netplumb network inspect -f '{{.Id}} {{json .IPAM.Config}}' backend")
    .action(async (names: string[], o: { format?: string }, cmd: Command) => {
      const found = await withEngine(cmd, (e) => Promise.all(names.map((n) => e.networks.inspect(n))));
      if (o.format !== undefined) return void out(formatEach(o.format, found));
      printJson(found);
    });
}

function rmCommand(): Command {
  return new Command('rm')
    .alias('remove')
    .description('remove networks (refused while sandboxes are attached, unless --disconnect)')
    .argument('<name...>', 'network names or ids')
    .option('-f, --force', "do not fail when a network does not exist (Docker's meaning)")
    .option('--disconnect', 'disconnect attached sandboxes first (netplumb\'s own)')
    .addHelpText('after', '\nExample:\n  netplumb network rm backend\n  netplumb network rm --disconnect -f backend')
    .action(async (names: string[], o: { force?: boolean; disconnect?: boolean }, cmd: Command) => {
      // Like `docker network rm`: every name is tried; the last failure decides the exit code.
      let failed: Failure | undefined;
      await withEngine(cmd, async (e) => {
        for (const n of names) {
          try {
            await e.networks.remove(n, { force: o.disconnect === true });
            out(`${n}\n`);
          } catch (err) {
            const f = classify(err);
            if (o.force && f.code === 3) continue;
            failed = f;
            report(f);
          }
        }
      });
      if (failed) process.exitCode = failed.code;
    });
}

function connectCommand(): Command {
  return new Command('connect')
    .description('connect a sandbox to a further network (eth1, eth2, …)')
    .argument('<network>', 'network name or id')
    .argument('<sandbox>', 'sandbox name or id')
    .option('--ip <address>', 'static IPv4 address on that network')
    .option('--ip6 <address>', 'static IPv6 address on that network')
    .option('--alias <name>', 'another name the sandbox answers to on that network (repeatable)', collect)
    .addHelpText('after', '\nExample:\n  netplumb network connect --ip 172.22.16.8 --alias db backend web1')
    .action(async (network: string, sandbox: string, o: { ip?: string; ip6?: string; alias?: string[] }, cmd: Command) => {
      await withEngine(cmd, (e) => e.sandboxes.connect(sandbox, network, { ...(o.ip !== undefined ? { ip: o.ip } : {}), ...(o.ip6 !== undefined ? { ip6: o.ip6 } : {}), aliases: o.alias ?? [] }));
    });
}

function disconnectCommand(): Command {
  return new Command('disconnect')
    .description('disconnect a sandbox from a network')
    .argument('<network>', 'network name or id')
    .argument('<sandbox>', 'sandbox name or id')
    .addHelpText('after', '\nExample:\n  netplumb network disconnect backend web1')
    .action(async (network: string, sandbox: string, _o: unknown, cmd: Command) => {
      await withEngine(cmd, (e) => e.sandboxes.disconnect(sandbox, network));
    });
}

function pruneCommand(): Command {
  return new Command('prune')
    .description('remove every network no sandbox uses (never the default network)')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--filter <key=value>', 'only networks with label=KEY[=VALUE], without label!=KEY[=VALUE] (repeatable)', collect)
    .option('--json', 'print the removed names as a JSON array')
    .addHelpText('after', '\nAsks before removing when stdin is a terminal, unless -f.\n\nExample:\n  netplumb network prune -f --filter label=env=test')
    .action(async (o: { force?: boolean; filter?: string[]; json?: boolean }, cmd: Command) => {
      parseFilters(o.filter, ['label', 'label!']);
      const keep = networkFilter(o.filter);
      if (!o.force && process.stdin.isTTY && !(await confirm('WARNING! This will remove all custom networks not used by at least one sandbox.\nAre you sure you want to continue? [y/N] ')))
        return;
      const removed = await withEngine(cmd, async (e) => {
        if (!o.filter?.length) return e.networks.prune();
        const unused = (await e.networks.list()).filter((n) => Object.keys(n.Containers).length === 0 && !BUILTIN.has(n.Name) && keep(n));
        const names: string[] = [];
        for (const n of unused) {
          await e.networks.remove(n.Id);
          names.push(n.Name);
        }
        return names;
      });
      if (o.json) return printJson(removed);
      if (removed.length) out(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}`);
    });
}

export function networkCommand(): Command {
  const cmd = new Command('network');
  for (const sub of [createCommand(), lsCommand(), inspectCommand(), rmCommand(), connectCommand(), disconnectCommand(), pruneCommand()]) cmd.addCommand(sub);
  return cmd;
}
