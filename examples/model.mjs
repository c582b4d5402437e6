// Docker's model in a few lines: a user network, a web sandbox publishing
// 8080:80, a client sandbox that finds it by name through the network's DNS.
// Run it in a sandbox: npm run build:ts && scripts/sandbox node examples/model.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../dist/index.js';

const stateDir = mkdtempSync(join(tmpdir(), 'netplumb-example-'));
const engine = await Engine.open({ stateDir, etcDir: join(stateDir, 'etc'), dns: { upstreams: [] } });

const net = await engine.networks.create({ name: 'shop', subnet: '172.28.5.0/24' });
const web = await engine.sandboxes.create({ name: 'web', network: 'shop', publish: ['8080:80'], aliases: ['www'] });
const client = await engine.sandboxes.create({ name: 'client', network: 'shop' });
console.log(`network ${net.Name} ${net.IPAM.Config[0].Subnet}, bridge ${net.Options['com.docker.network.bridge.name']}`);
for (const s of await engine.sandboxes.list())
  console.log(`  ${s.name}: ${s.networks.map((n) => `${n.ifname} ${n.ipv4}`).join(', ')}  netns ${s.netnsName}`);

// A server inside web, reached from client through the published port on the gateway address.
const webNs = await engine.sandboxes.netns('web');
const server = await webNs.listenTcp({ port: 80 }, (s) => s.end(`hello from ${web.name}\n`));
const clientNs = await engine.sandboxes.netns('client');
const sock = await clientNs.connectTcp({ host: net.IPAM.Config[0].Gateway, port: 8080 });
sock.on('data', (d) => process.stdout.write(`client received: ${d}`));
await new Promise((r) => sock.on('close', r));
server.close();
webNs.close();

// A process inside client, as `docker exec` starts it: with client's hosts and resolv.conf.
const { stdout } = await engine.sandboxes.exec('client', ['getent', 'hosts', 'www']);
console.log(`client resolves www: ${stdout.trim()}`);
clientNs.close();

await engine.sandboxes.remove('web');
await engine.sandboxes.remove(client.name);
await engine.networks.remove('shop');
await engine.close();
console.log('removed: sandboxes, network, bridge and firewall table');
