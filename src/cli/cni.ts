// `netplumb cni install`: puts the CNI plugin where a container runtime finds
// it (BIN_DIR/netplumb, the native shim) and, with --name and --subnet, a
// conflist for a network. The shim comes from the local build or the
// package's prebuilt one; it falls back to this Node and dist/cli/cni-plugin.cjs
// when no netplumbd answers.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { CniError } from '../core/errors.js';
import type { ConflistOptions } from '../cni/install.js';
import { UsageError } from './errors.js';
import { collect, out } from './output.js';
import { PACKAGE_ROOT } from '../core/package.js';

/** The shim binary: the local build first, then the prebuilt one for this machine. */
function shimBinary(): string {
  const candidates = [
    join(PACKAGE_ROOT, 'build', 'Release', 'netplumb-cni'),
    join(PACKAGE_ROOT, 'prebuilds', `${process.platform}-${process.arch}`, 'netplumb-cni'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new UsageError(`the CNI shim is not built (looked for ${candidates.join(' and ')})`, 'build it with `npm run build:native` (needs a C compiler)');
  return found;
}

interface InstallFlags {
  binDir: string;
  confDir: string;
  name?: string;
  subnet?: string[];
  gateway?: string[];
  bridge?: string;
  mtu?: string;
  ipMasq: boolean;
}

function installCommand(): Command {
  return new Command('install')
    .description('install the netplumb CNI plugin (BIN_DIR/netplumb) and, with --name and --subnet, a conflist for a network')
    .option('--bin-dir <dir>', 'where the runtime looks for plugins', '/opt/cni/bin')
    .option('--conf-dir <dir>', 'where the runtime reads network configs', '/etc/cni/net.d')
    .option('--name <name>', 'write CONF_DIR/10-NAME.conflist for network NAME')
    .option('--subnet <cidr>', 'the network\'s subnet (repeat for IPv6 beside IPv4)', collect)
    .option('--gateway <ip>', 'the gateway of a subnet (default: its first address; repeatable)', collect)
    .option('--bridge <name>', "the network's bridge (default np-<id>)")
    .option('--mtu <n>', "the network's MTU")
    .addOption(new Option('--no-ip-masq', 'do not masquerade traffic leaving the network'))
    .addHelpText('after', '\nExamples:\n  netplumb cni install --bin-dir /opt/cni/bin\n  netplumb cni install --name pods --subnet 10.88.0.0/16')
    .action(async (o: InstallFlags) => {
      if ((o.name === undefined) !== (o.subnet === undefined))
        throw new UsageError('--name and --subnet go together', 'give both to write a conflist, or neither to install only the binary');
      let list: ConflistOptions | undefined;
      if (o.name !== undefined && o.subnet !== undefined) {
        list = { name: o.name, subnets: o.subnet, ipMasq: o.ipMasq };
        if (o.gateway) list.gateways = o.gateway;
        if (o.bridge !== undefined) list.bridge = o.bridge;
        if (o.mtu !== undefined) list.mtu = Number(o.mtu);
      }
      try {
        // Loaded for this command only: every other command starts without the CNI code.
        const { installCni } = await import('../cni/install.js');
        const done = await installCni({
          shim: shimBinary(),
          node: process.execPath,
          entry: join(PACKAGE_ROOT, 'dist', 'cli', 'cni-plugin.cjs'),
          binDir: o.binDir,
          confDir: o.confDir,
          ...(list ? { conflist: list } : {}),
        });
        out(`${done.binary}\n${done.conflist ? `${done.conflist}\n` : ''}`);
      } catch (e) {
        if (e instanceof CniError) throw new UsageError(e.details ?? e.message, 'nothing was written; correct the value and try again');
        throw e;
      }
    });
}

export function cniCommand(): Command {
  return new Command('cni')
    .addHelpText('after', '\nExample:\n  netplumb cni install --name pods --subnet 10.88.0.0/16')
    .addCommand(installCommand());
}
