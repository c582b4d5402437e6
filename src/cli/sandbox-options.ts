// The options `run` and `create` share, as `docker run` spells them, and
// their translation into the model's SandboxCreateOptions.
import { Option, type Command } from 'commander';
import type { SandboxCreateOptions } from '../model/index.js';
import { UsageError } from './errors.js';
import { collect, keyValues } from './output.js';

export interface SandboxFlags {
  name?: string;
  network?: string;
  net?: string;
  publish?: string[];
  publishAll?: boolean;
  expose?: string[];
  ip?: string;
  ip6?: string;
  macAddress?: string;
  alias?: string[];
  networkAlias?: string[];
  link?: string[];
  hostname?: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  addHost?: string[];
  label?: string[];
}

export function addSandboxOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'sandbox name (default np_<short id>)')
    .option('--network <mode>', 'bridge (default) | host | none | container:NAME | a network name')
    .addOption(new Option('--net <mode>', "Docker's alias of --network").hideHelp())
    .option('-p, --publish <spec>', 'publish a port, every `docker run -p` form: 8080:80, 127.0.0.1:8080:80/udp, 80 (repeatable)', collect)
    .option('-P, --publish-all', 'publish every --expose port on a random host port')
    .option('--expose <port>', 'a port (or range, /udp) the sandbox serves, published by -P (repeatable)', collect)
    .option('--ip <address>', 'static IPv4 address on the network')
    .option('--ip6 <address>', 'static IPv6 address on the network (an IPv6 network)')
    .option('--mac-address <mac>', 'MAC address of the interface on the network')
    .option('--network-alias <name>', 'another name the sandbox answers to in the network DNS (repeatable)', collect)
    .addOption(new Option('--alias <name>', 'the same as --network-alias').argParser(collect))
    .option('--link <name[:alias]>', 'add a linked sandbox to /etc/hosts (repeatable)', collect)
    .option('--hostname <name>', 'hostname in its /etc/hosts and, for run, its own UTS namespace (`hostname` inside prints it); default: the short id')
    .option('--dns <ip>', 'nameserver for its resolv.conf (repeatable)', collect)
    .option('--dns-search <domain>', 'search domain for its resolv.conf (repeatable)', collect)
    .option('--dns-option <option>', 'option line for its resolv.conf, e.g. ndots:2 (repeatable)', collect)
    .option('--add-host <name:ip>', 'a line for its /etc/hosts (repeatable)', collect)
    .option('-l, --label <key=value>', 'set metadata on the sandbox (repeatable)', collect);
}

export function sandboxCreateOptions(f: SandboxFlags): SandboxCreateOptions {
  if (f.net !== undefined && f.network !== undefined && f.net !== f.network) throw new UsageError('--net and --network name different networks', '--net is Docker\'s alias of --network: give one');
  const o: SandboxCreateOptions = {
    publish: f.publish ?? [],
    links: f.link ?? [],
    aliases: [...(f.networkAlias ?? []), ...(f.alias ?? [])],
  };
  const network = f.network ?? f.net;
  if (f.name !== undefined) o.name = f.name;
  if (network !== undefined) o.network = network;
  if (f.ip !== undefined) o.ip = f.ip;
  if (f.ip6 !== undefined) o.ip6 = f.ip6;
  if (f.macAddress !== undefined) o.mac = f.macAddress;
  if (f.hostname !== undefined) o.hostname = f.hostname;
  if (f.publishAll) o.publishAll = true;
  if (f.expose?.length) o.expose = f.expose;
  if (f.dns?.length) o.dns = f.dns;
  if (f.dnsSearch?.length) o.dnsSearch = f.dnsSearch;
  if (f.dnsOption?.length) o.dnsOptions = f.dnsOption;
  if (f.addHost?.length) o.extraHosts = f.addHost;
  if (f.label?.length) o.labels = keyValues(f.label, '--label');
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
