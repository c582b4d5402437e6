// Installing the plugin where a runtime finds it: the native shim copied to
// BIN_DIR/netplumb with a trailer that tells it where Node and the in-process
// entry are (for when no netplumbd answers), and, when asked, a conflist in
// CONF_DIR. Both are written to a temporary name and renamed, so a runtime
// never execs or reads half a file.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { networkSpec, type Json } from './config.js';

/** What native/cni-shim/fallback.h reads from the end of the binary. */
const TRAILER_MAGIC = Buffer.from('NPCNI1\n\0', 'latin1');

export interface ConflistOptions {
  /** The CNI network's name (and netplumb's network's). */
  name: string;
  /** One subnet per family. */
  subnets: string[];
  gateways?: string[];
  bridge?: string;
  mtu?: number;
  /** Masquerade outbound traffic (default true). */
  ipMasq?: boolean;
}

export interface InstallOptions {
  /** The shim as built (build/Release/netplumb-cni or prebuilds/<platform>/netplumb-cni). */
  shim: string;
  /** Node and the in-process entry (dist/cli/cni-plugin.cjs), for the shim's fallback. */
  node: string;
  entry: string;
  binDir: string;
  confDir?: string;
  conflist?: ConflistOptions;
}

export interface Installed {
  binary: string;
  conflist?: string;
}

function trailer(node: string, entry: string): Buffer {
  const paths = Buffer.from(`${node}\0${entry}\0`, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(paths.length);
  return Buffer.concat([paths, len, TRAILER_MAGIC]);
}

async function writeAtomic(path: string, data: Buffer | string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await fs.writeFile(tmp, data, { mode });
    await fs.chmod(tmp, mode);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** The conflist's network config, checked as the plugin will check it (throws CniError). */
export function conflist(o: ConflistOptions): Json {
  const plugin: Json = {
    type: 'netplumb',
    subnet: o.subnets.length === 1 ? o.subnets[0] : o.subnets,
    ...(o.gateways?.length ? { gateway: o.gateways.length === 1 ? o.gateways[0] : o.gateways } : {}),
    ...(o.bridge !== undefined ? { bridge: o.bridge } : {}),
    ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
    isGateway: true,
    ipMasq: o.ipMasq ?? true,
    hairpinMode: true,
    capabilities: { portMappings: true, ips: true, mac: true },
  };
  networkSpec({ ...plugin, name: o.name, cniVersion: '1.0.0' });
  // 1.0.0 for runtimes whose libcni knows no later version (containerd 1.6);
  // newer libcni picks the highest of cniVersions that it and the plugin speak.
  return { cniVersion: '1.0.0', cniVersions: ['1.0.0', '1.1.0'], name: o.name, plugins: [plugin] };
}

export async function installCni(o: InstallOptions): Promise<Installed> {
  const list = o.conflist ? conflist(o.conflist) : undefined;
  const shim = await fs.readFile(o.shim);
  await fs.mkdir(o.binDir, { recursive: true });
  const binary = join(o.binDir, 'netplumb');
  await writeAtomic(binary, Buffer.concat([shim, trailer(o.node, o.entry)]), 0o755);
  const out: Installed = { binary };
  if (list && o.conflist) {
    const dir = o.confDir ?? '/etc/cni/net.d';
    await fs.mkdir(dir, { recursive: true });
    out.conflist = join(dir, `10-${o.conflist.name}.conflist`);
    await writeAtomic(out.conflist, `${JSON.stringify(list, null, 2)}\n`, 0o644);
  }
  return out;
}
