// A stand-in for netplumbd's CNI endpoint, for tests only (the daemon is built
// on another branch): POST /netplumb/v1/cni on a unix socket, the body
// {"env", "stdin"} handed to runCni with a long-lived engine, the answer
// {"exitCode", "stdout"} as JSON. Exactly what the daemon is to mount.
import { createServer, type Server } from 'node:http';
import { runCni } from '../../../../src/cni/index.js';
import type { Engine } from '../../../../src/model/index.js';

export interface CniServer {
  /** Requests served, and the time runCni took for the last one (ms). */
  readonly served: number;
  /** What each request asked: CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, and the exit status it got. */
  readonly requests: { command: string; containerId?: string; netns?: string; exitCode: number }[];
  readonly lastHandlerMs: number;
  close(): Promise<void>;
}

export async function startCniServer(engine: Engine, socket: string): Promise<CniServer> {
  const stats = { served: 0, lastHandlerMs: 0 };
  const requests: CniServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/netplumb/v1/cni') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"body is not JSON"}');
          return;
        }
        const t0 = performance.now();
        const answer = await runCni(body as never, engine);
        stats.lastHandlerMs = performance.now() - t0;
        stats.served++;
        const env = (body as { env?: Record<string, string> }).env ?? {};
        requests.push({ command: env.CNI_COMMAND ?? '', containerId: env.CNI_CONTAINERID, netns: env.CNI_NETNS, exitCode: answer.exitCode } as CniServer['requests'][number]);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, resolve);
  });
  return {
    get served() {
      return stats.served;
    },
    get lastHandlerMs() {
      return stats.lastHandlerMs;
    },
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
