// The options `run` and `create` share, as `docker run` spells them, and
// their translation into the model's SandboxCreateOptions.
import type { Command } from 'commander';
import type { SandboxCreateOptions } from '../model/index.js';
import { UsageError } from './errors.js';
import { collect } from './output.js';

export interface SandboxFlags {
  name?: string;
  network?: string;
  publish?: string[];
  ip?: string;
  alias?: string[];
  link?: string[];
  hostname?: string;
}

export function addSandboxOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'sandbox name (default np_<short id>)')
    .option('--network <mode>', 'bridge (default) | host | none | container:NAME | a network name')
    .option('-p, --publish <spec>', 'publish a port, every `docker run -p` form: 8080:80, 127.0.0.1:8080:80/udp, 80 (repeatable)', collect)
    .option('--ip <address>', 'static IPv4 address on the network')
    .option('--alias <name>', 'another name the sandbox answers to in the network DNS (repeatable)', collect)
    .option('--link <name[:alias]>', 'add a linked sandbox to /etc/hosts (repeatable)', collect)
    .option('--hostname <name>', 'hostname written to its /etc/hosts (default: the short id)');
}

export function sandboxCreateOptions(f: SandboxFlags): SandboxCreateOptions {
  const o: SandboxCreateOptions = { publish: f.publish ?? [], links: f.link ?? [], aliases: f.alias ?? [] };
  if (f.name !== undefined) o.name = f.name;
  if (f.network !== undefined) o.network = f.network;
  if (f.ip !== undefined) o.ip = f.ip;
  if (f.hostname !== undefined) o.hostname = f.hostname;
  return o;
}

/** --netns PATH | --pid PID (create only): adopt a namespace a runtime made. */
export function adoptOption(o: { netns?: string; pid?: string }): SandboxCreateOptions['netns'] {
  if (o.netns !== undefined && o.pid !== undefined) throw new UsageError('--netns and --pid cannot be used together', 'give the namespace either by path or by the pid of a process inside it');
  if (o.netns !== undefined) return { path: o.netns };
  if (o.pid === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(o.pid)) throw new UsageError(`--pid '${o.pid}' must be a process id (a positive integer)`);
  return { pid: Number(o.pid) };
}
