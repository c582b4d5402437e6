// `netplumb completion bash|zsh`: a completion script generated from the
// command tree itself (every command, subcommand and option, so it cannot
// fall behind), completing sandbox and network names by asking netplumb.
import { Command, type Option } from 'commander';
import { UsageError } from './errors.js';
import { out } from './output.js';

interface Node {
  path: string;
  words: string[];
  /** Options that take a value: the word after them is not completed as a command. */
  valued: string[];
}

function flags(o: Option): string[] {
  return [o.short, o.long].filter((f): f is string => f !== undefined);
}

function walk(cmd: Command, prefix: string[], out: Node[]): void {
  const visible = cmd.commands.filter((c) => c.name() !== 'help');
  const options = cmd.options.filter((o) => !o.hidden);
  out.push({
    path: prefix.join(' '),
    words: [...visible.map((c) => c.name()), ...options.flatMap(flags), '--help'],
    valued: options.filter((o) => o.required || o.optional).flatMap(flags),
  });
  for (const c of visible) walk(c, [...prefix, c.name()], out);
}

/** Commands whose arguments are sandbox names, and those whose arguments are network names. */
const SANDBOX_ARGS = ['rm', 'port', 'exec', 'inspect', 'logs', 'stop', 'start'];
const NETWORK_ARGS = ['network rm', 'network inspect', 'network connect', 'network disconnect'];

function bash(nodes: Node[]): string {
  const cases = nodes.map((n) => `    "${n.path}") words="${n.words.join(' ')}"; valued="${n.valued.join(' ')}" ;;`).join('\n');
  return `# bash completion for netplumb (netplumb completion bash > /etc/bash_completion.d/netplumb)
_netplumb() {
  local cur prev path="" w words valued i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # The command path so far: the words that are subcommands, skipping options and their values.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      --state-dir|-H|--host) i=$((i + 1)) ;;
      -*) ;;
      *) case " $(_netplumb_words "$path") " in *" $w "*) path="\${path:+$path }$w" ;; esac ;;
    esac
  done
  _netplumb_words "$path" >/dev/null
  case " $valued " in *" $prev "*) COMPREPLY=(); return ;; esac
  case "$path" in
    ${SANDBOX_ARGS.join('|')}) [[ "$cur" != -* ]] && { COMPREPLY=($(compgen -W "$(netplumb ps --format '{{.Name}}' 2>/dev/null)" -- "$cur")); return; } ;;
    ${NETWORK_ARGS.map((p) => `"${p}"`).join('|')}) [[ "$cur" != -* ]] && { COMPREPLY=($(compgen -W "$(netplumb network ls --format '{{.Name}}' 2>/dev/null)" -- "$cur")); return; } ;;
  esac
  COMPREPLY=($(compgen -W "$(_netplumb_words "$path")" -- "$cur"))
}
_netplumb_words() {
  case "$1" in
${cases}
    *) words=""; valued="" ;;
  esac
  printf '%s' "$words"
}
complete -F _netplumb netplumb
`;
}

function zsh(nodes: Node[]): string {
  // zsh runs bash completion functions through bashcompinit: one script, one behaviour.
  return `#compdef netplumb
# zsh completion for netplumb (netplumb completion zsh > "\${fpath[1]}/_netplumb", or eval "$(netplumb completion zsh)")
autoload -U +X bashcompinit && bashcompinit
${bash(nodes).split('\n').slice(1).join('\n')}`;
}

export function completionCommand(): Command {
  return new Command('completion')
    .argument('<shell>', 'bash or zsh')
    .addHelpText('after', '\nExamples:\n  netplumb completion bash > /etc/bash_completion.d/netplumb\n  eval "$(netplumb completion zsh)"')
    .action((shell: string, _o: unknown, cmd: Command) => {
      const program = cmd.parent;
      if (!program) throw new Error('completion must be a command of the netplumb program');
      const nodes: Node[] = [];
      walk(program, [], nodes);
      if (shell === 'bash') out(bash(nodes));
      else if (shell === 'zsh') out(zsh(nodes));
      else throw new UsageError(`no completion for '${shell}'`, 'give bash or zsh');
    });
}
