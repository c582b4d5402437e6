// `netplumb network …`: Docker's network commands over engine.networks and
// engine.sandboxes.connect/disconnect.
import { Command } from 'commander';
import type { NetworkCreateOptions } from '../model/index.js';
import { withEngine } from './engine.js';
import { UsageError } from './errors.js';
import { collect, printJson, printTable, short } from './output.js';

/** `--opt k=v` values as Docker's option map. */
function parseOpts(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`--opt '${v}' must be KEY=VALUE`, 'e.g. --opt com.docker.network.bridge.enable_icc=false');
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

function createCommand(): Command {
  return new Command('create')
    .description('create a network (bridge: its bridge, gateway address and firewall rules in one transaction; macvlan, ipvlan; overlay through netplumbd); prints its id')
    .argument('<name>', 'network name')
    .option('--subnet <cidr>', 'IPv4 subnet (default: a free one from the address pools)')
    .option('--gateway <ip>', 'gateway address (default: the first address of the subnet)')
    .option('--ip-range <cidr>', 'allocate container addresses from this part of the subnet')
    .option('--internal', 'no traffic to or from anything outside the network')
    .option('-d, --driver <driver>', 'bridge (default), macvlan, ipvlan, or overlay (needs an engine with a cluster store: netplumbd)')
    .option('-o, --opt <key=value>', "driver option, as Docker's (repeatable), e.g. com.docker.network.bridge.enable_icc=false, parent=eth0, vni=4096", collect)
    .addHelpText('after', '\nExamples:\n  netplumb network create --subnet 172.22.16.0/24 --gateway 172.22.16.1 backend\n  netplumb network create -d macvlan --subnet 192.0.2.0/24 --gateway 192.0.2.1 -o parent=eth0 lan')
    .action(async (name: string, o: { subnet?: string; gateway?: string; ipRange?: string; internal?: boolean; opt?: string[]; driver?: string }, cmd: Command) => {
      const opts: NetworkCreateOptions = { name, options: parseOpts(o.opt ?? []) };
      if (o.driver !== undefined) opts.driver = o.driver as NonNullable<NetworkCreateOptions['driver']>;
      if (o.subnet !== undefined) opts.subnet = o.subnet;
      if (o.gateway !== undefined) opts.gateway = o.gateway;
      if (o.ipRange !== undefined) opts.ipRange = o.ipRange;
      if (o.internal) opts.internal = true;
      if (opts.gateway !== undefined && opts.subnet === undefined) throw new UsageError('--gateway needs --subnet', 'give the subnet the gateway belongs to');
      const n = await withEngine(cmd, (e) => e.networks.create(opts));
      process.stdout.write(`${n.Id}\n`);
    });
}

function lsCommand(): Command {
  return new Command('ls')
    .alias('list')
    .description('list networks')
    .option('--json', 'print the networks as a JSON array of inspect objects')
    .addHelpText('after', '\nExample:\n  netplumb network ls --json')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const list = await withEngine(cmd, (e) => e.networks.list());
      if (o.json) return printJson(list);
      printTable(
        ['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET', 'GATEWAY', 'BRIDGE', 'INTERNAL', 'SANDBOXES'],
        list.map((n) => [
          short(n.Id),
          n.Name,
          n.Driver,
          n.IPAM.Config.map((c) => c.Subnet).join(','),
          n.IPAM.Config.map((c) => c.Gateway).join(','),
          n.Options['com.docker.network.bridge.name'] ?? '',
          String(n.Internal),
          String(Object.keys(n.Containers).length),
        ]),
      );
    });
}

function inspectCommand(): Command {
  return new Command('inspect')
    .description('print networks as `docker network inspect` does (a JSON array)')
    .argument('<name...>', 'network names or ids')
    .addHelpText('after', '\nExample:\n  netplumb network inspect backend')
    .action(async (names: string[], _o: unknown, cmd: Command) => {
      printJson(await withEngine(cmd, (e) => Promise.all(names.map((n) => e.networks.inspect(n)))));
    });
}

function rmCommand(): Command {
  return new Command('rm')
    .alias('remove')
    .description('remove networks (refused while sandboxes are attached, unless --force)')
    .argument('<name...>', 'network names or ids')
    .option('-f, --force', 'disconnect attached sandboxes first')
    .addHelpText('after', '\nExample:\n  netplumb network rm backend')
    .action(async (names: string[], o: { force?: boolean }, cmd: Command) => {
      await withEngine(cmd, async (e) => {
        for (const n of names) {
          await e.networks.remove(n, { force: o.force === true });
          process.stdout.write(`${n}\n`);
        }
      });
    });
}

function connectCommand(): Command {
  return new Command('connect')
    .description('connect a sandbox to a further network (eth1, eth2, …)')
    .argument('<network>', 'network name or id')
    .argument('<sandbox>', 'sandbox name or id')
    .option('--ip <address>', 'static IPv4 address on that network')
    .option('--alias <name>', 'another name the sandbox answers to on that network (repeatable)', collect)
    .addHelpText('after', '\nExample:\n  netplumb network connect --ip 172.22.16.8 --alias db backend web1')
    .action(async (network: string, sandbox: string, o: { ip?: string; alias?: string[] }, cmd: Command) => {
      await withEngine(cmd, (e) => e.sandboxes.connect(sandbox, network, { ...(o.ip !== undefined ? { ip: o.ip } : {}), aliases: o.alias ?? [] }));
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
    .option('--json', 'print the removed names as a JSON array')
    .addHelpText('after', '\nExample:\n  netplumb network prune')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const removed = await withEngine(cmd, (e) => e.networks.prune());
      if (o.json) return printJson(removed);
      if (removed.length) process.stdout.write(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}`);
    });
}

export function networkCommand(): Command {
  const cmd = new Command('network').description('manage networks (bridge, macvlan, ipvlan; overlay through netplumbd)');
  for (const sub of [createCommand(), lsCommand(), inspectCommand(), rmCommand(), connectCommand(), disconnectCommand(), pruneCommand()]) cmd.addCommand(sub);
  return cmd;
}
