// The `netplumb` command tree. Commander parses (subcommands, repeatable
// options, generated --help); every command is built in its own file, and
// only the command being run is loaded: the others are named with their
// description (what `netplumb --help` lists) and nothing else, so a command
// pays for its own modules only.
import { Command, Option } from 'commander';
import { EXIT_CODES_HELP } from './exit-codes.js';

export interface CommandEntry {
  name: string;
  description: string;
  load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'network', description: 'manage networks (bridge, macvlan, ipvlan; overlay through netplumbd)', load: async () => (await import('./network.js')).networkCommand() },
  { name: 'run', description: "create a sandbox, run CMD inside its network namespace (with the sandbox's hosts and resolv.conf), pass its exit status through", load: async () => (await import('./run.js')).runCommand() },
  { name: 'create', description: 'create a sandbox (a network namespace with its network) without running anything; prints its id', load: async () => (await import('./create.js')).createCommand() },
  { name: 'exec', description: "run CMD in an existing sandbox (its network namespace, hosts and resolv.conf), as `docker exec`", load: async () => (await import('./exec.js')).execCommand() },
  { name: 'ps', description: 'list sandboxes', load: async () => (await import('./sandboxes.js')).psCommand() },
  { name: 'inspect', description: 'print sandboxes and networks, by name or id, as a JSON array (a sandbox first when a name is both)', load: async () => (await import('./sandboxes.js')).inspectCommand() },
  { name: 'port', description: "list a sandbox's published ports, as `docker port`; with PORT[/PROTO], only where that port is published", load: async () => (await import('./sandboxes.js')).portCommand() },
  { name: 'logs', description: 'print the output of the process `run -d` started in a sandbox', load: async () => (await import('./lifecycle.js')).logsCommand() },
  { name: 'stop', description: 'stop the process `run -d` started in sandboxes: SIGTERM, then SIGKILL after the grace time; the sandbox stays', load: async () => (await import('./lifecycle.js')).stopCommand() },
  { name: 'start', description: 'start again the command `run -d` started in sandboxes (its output appended to the same log)', load: async () => (await import('./lifecycle.js')).startCommand() },
  { name: 'rm', description: 'remove sandboxes: ports, endpoints and namespace (an adopted namespace is released, not deleted)', load: async () => (await import('./sandboxes.js')).rmCommand() },
  { name: 'reconcile', description: 'make kernel and state agree after a crash: finish or roll back what was half done, repair links, addresses, ports and state files; prints what it repaired', load: async () => (await import('./reconcile.js')).reconcileCommand() },
  { name: 'graph', description: "draw the host's networks, sandboxes, veth pairs, published ports and isolation from the kernel and the state, marking drift (what one has and the other does not)", load: async () => (await import('./graph.js')).graphCommand() },
  { name: 'completion', description: 'print a shell completion script: bash or zsh', load: async () => (await import('./completion.js')).completionCommand() },
  { name: 'sandbox', description: "run CMD in a throwaway user+net+mount namespace with its own /run and only lo (needs unprivileged user namespaces)", load: async () => (await import('./sandbox-cmd.js')).sandboxCommand() },
  { name: 'demo', description: 'build a bridge network, containers, a published port and a "wan" in a throwaway sandbox, prove every path with traffic, tear it down', load: async () => (await import('./demo.js')).demoCommand() },
  { name: 'daemon', description: 'run netplumbd in the foreground: serves Docker\'s network API and netplumb\'s own on a socket (same flags as netplumbd)', load: async () => (await import('./daemon-cmd.js')).daemonCommand() },
  { name: 'cni', description: 'netplumb as a CNI plugin for container runtimes (containerd, CRI-O)', load: async () => (await import('./cni.js')).cniCommand() },
];

/** Global options that take a value: their value is not a command name. */
const GLOBAL_WITH_VALUE = new Set(['--state-dir', '-H', '--host']);

/** The command argv names (`netplumb [globals] NAME …`, or `netplumb help NAME`), if any. */
export function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return undefined;
    if (GLOBAL_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a === 'help' ? (argv[i + 1] ?? a) : a;
  }
  return undefined;
}

/** Settings every command needs, applied down the tree (addCommand does not inherit them). */
function configure(cmd: Command): void {
  cmd.exitOverride();
  cmd.showHelpAfterError(`(run '${commandPath(cmd)} --help' for usage)`);
  cmd.configureOutput({ outputError: (text, write) => write(`netplumb: ${text.replace(/^error: /, '')}`) });
  for (const sub of cmd.commands) configure(sub);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The program for `argv` (process.argv without node and the script): the named command whole, the others by name. */
export async function buildProgram(version: string, argv: readonly string[] = process.argv.slice(2), all = false): Promise<Command> {
  const program = new Command('netplumb')
    .description("Docker's container networking over netlink: networks, sandboxes, published ports, DNS")
    .version(version, '-v, --version')
    .addOption(
      new Option('--state-dir <dir>', 'keep networks, sandboxes and their hosts/resolv.conf under DIR (default /run/netplumb, /var/lib/netplumb and /etc)').env(
        'NETPLUMB_STATE_DIR',
      ),
    )
    .addOption(
      new Option('-H, --host <address>', "go through the netplumbd listening here (unix:///path); default: the daemon that owns the state, if one runs, else work in this process").env(
        'NETPLUMB_HOST',
      ),
    )
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nExample:\n  netplumb sandbox -- netplumb run --rm -p 8080:80 -- python3 -m http.server 80`);
  const wanted = commandName(argv);
  // The completion script is made from the whole tree.
  if (wanted === 'completion') all = true;
  for (const c of COMMANDS) {
    if (all || c.name === wanted) program.addCommand((await c.load()).description(c.description));
    else program.command(c.name).description(c.description);
  }
  configure(program);
  return program;
}
