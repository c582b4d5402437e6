// `netplumb graph`: a picture of the host's netplumb world (networks, host
// veth ends, sandboxes with their interfaces, published ports, isolation and
// drift between kernel and state), read by the engine, drawn here.
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { GRAPH_FORMATS, type GraphFormat } from '../model/graph/types.js';
import { withEngine } from './engine.js';
import { withProgress } from './progress.js';
import { out } from './output.js';

/** The format an --output file's extension implies, when --format is not given. */
function formatOfFile(file: string | undefined): GraphFormat | undefined {
  const ext = file?.slice(file.lastIndexOf('.') + 1).toLowerCase();
  const byExt: Record<string, GraphFormat> = { svg: 'svg', dot: 'dot', gv: 'dot', mmd: 'mermaid', mermaid: 'mermaid', json: 'json', txt: 'text' };
  return ext === undefined ? undefined : byExt[ext];
}

export function graphCommand(): Command {
  return new Command('graph')
    .addOption(new Option('--format <format>', 'text (default on a terminal), svg, dot (Graphviz), mermaid, json').choices([...GRAPH_FORMATS]))
    .option('-o, --output <file>', 'write to FILE instead of stdout (the format follows its extension: .svg .dot .mmd .json .txt)')
    .addHelpText(
      'after',
      '\nDrift: "kernel only" is an object carrying netplumb\'s mark, or an interface inside a sandbox, that no record knows;\n' +
        '"state only" is a record whose kernel object is gone. `netplumb reconcile` repairs both.\n' +
        '\nExamples:\n  netplumb graph\n  netplumb graph -o host.svg\n  netplumb graph --format dot | dot -Tpng > host.png',
    )
    .action(async (o: { format?: GraphFormat; output?: string }, cmd: Command) => {
      const format = o.format ?? formatOfFile(o.output) ?? 'text';
      const g = await withProgress('reading the kernel and the state', { json: format === 'json' }, () => withEngine(cmd, (e) => e.graph()));
      const { renderGraph } = await import('../model/graph/render/index.js');
      const text = renderGraph(g, format);
      if (o.output !== undefined) writeFileSync(o.output, text);
      else out(text);
    });
}
