// Child processes that use the library as another program would: the model
// and the primitives bundled from the TypeScript sources (so a child runs the
// same code as the test), next to links to the addon build and node_modules.
// A child inherits the test's sandbox (its namespaces, /run, the nft tables).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class ChildLib {
  private count = 0;
  private constructor(readonly dir: string) {}

  /**
   * Bundles src/model and src/index into <tmp>/lib/addon/netplumb.mjs: two levels under <tmp>, as src/addon/native.ts sits under the package root, so the addon is found in <tmp>/build.
   * `extra`: more export lines for the bundle (paths relative to the repository root), for a body to import('./netplumb.mjs').
   */
  static async build(extra: string[] = []): Promise<ChildLib> {
    const dir = mkdtempSync(join(tmpdir(), 'np-child-'));
    const root = resolve(import.meta.dirname, '../../../..');
    symlinkSync(join(root, 'build'), join(dir, 'build'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'entry.ts'),
      `export * from '${root}/src/model/index.ts';\nexport { Netns } from '${root}/src/index.ts';\n${extra.map((l) => l.replace(/'\.\//, `'${root}/`)).join('\n')}\n`);
    const { build } = await import('rolldown');
    await build({
      input: join(dir, 'entry.ts'), platform: 'node', external: ['node-gyp-build'],
      output: { file: join(dir, 'lib', 'addon', 'netplumb.mjs'), format: 'esm', codeSplitting: false }, logLevel: 'silent',
    });
    return new ChildLib(dir);
  }

  /**
   * Starts `node` on a module whose body is `body`, with `Engine` and `Netns`
   * imported and `args` (JSON) in scope as `args`.
   */
  start(body: string, args: unknown, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<ChildResult> } {
    const file = join(this.dir, 'lib', 'addon', `child-${++this.count}.mjs`);
    writeFileSync(file, `import { Engine, Netns } from './netplumb.mjs';\nconst args = JSON.parse(process.argv[2]);\n${body}\n`);
    const child = spawn(process.execPath, [file, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const done = new Promise<ChildResult>((res, rej) => {
      child.once('error', rej);
      child.once('close', (code, signal) => res({ code, signal, stdout, stderr }));
    });
    return { child, done };
  }

  /** Runs a child to its end; rejects with its output when it does not exit 0. */
  async run(body: string, args: unknown): Promise<string> {
    const r = await this.start(body, args).done;
    if (r.code !== 0) throw new Error(`child exited ${r.code ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
