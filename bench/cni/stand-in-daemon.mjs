// A stand-in for netplumbd's CNI endpoint (the daemon is built on another
// branch), as a process of its own like the daemon: POST /netplumb/v1/cni on
// a unix socket hands {"env", "stdin"} to runCni with one long-lived engine
// and answers {"exitCode", "stdout"}. GET /stats gives the time runCni took
// for each request, so the bench can tell the daemon's work from the shim's.
//   node bench/cni/stand-in-daemon.mjs SOCKET STATE_DIR
import { createServer } from 'node:http';
import { rmSync } from 'node:fs';
import { runCni } from '../../dist/cni/index.js';
import { Engine } from '../../dist/model/index.js';
import { now } from '../lib/stats.mjs';

const [socket, stateDir] = process.argv.slice(2);
const engine = await Engine.open({ stateDir, etcDir: `${stateDir}/etc`, dns: false });
const handled = [];
rmSync(socket, { force: true });
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    if (req.method === 'GET' && req.url === '/stats') return res.end(JSON.stringify(handled.splice(0)));
    if (req.method === 'POST' && req.url === '/settle') return engine.settle().then(() => res.end('{}'));
    if (req.method !== 'POST' || req.url !== '/netplumb/v1/cni') return res.writeHead(404).end('{}');
    const t0 = now();
    const answer = await runCni(JSON.parse(Buffer.concat(chunks).toString('utf8')), engine);
    handled.push(now() - t0);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
});
server.listen(socket, () => process.stdout.write('ready\n'));
process.on('SIGTERM', async () => {
  server.close();
  await engine.close();
  process.exit(0);
});
