// A short tour: two namespaces joined by a veth pair, addressed and routed,
// a TCP exchange between them, a masquerade rule, then teardown.
// Run: npm run build:ts && scripts/sandbox node examples/tour.mjs
import { Netns, nft } from '../dist/index.js';

const a = await Netns.create({ name: 'tour-a' }); // like `ip netns add`, with lo up
const b = await Netns.create(); // anonymous: lives as long as the handle

// One request: the peer is created inside b, already named eth0.
await a.links.addVeth({ name: 'eth0', up: true, peer: { name: 'eth0', netns: b, up: true } });
await a.addresses.add({ dev: 'eth0', address: '10.0.0.1/24' });
await b.addresses.add({ dev: 'eth0', address: '10.0.0.2/24' });
await b.routes.add({ destination: 'default', gateway: '10.0.0.1' });

// A server in b and a client in a, both in this one process.
const server = await b.listenTcp({ address: '10.0.0.2', port: 80 }, (s) => s.end('hello from b\n'));
const client = await a.connectTcp({ host: '10.0.0.2', port: 80 });
client.on('data', (d) => process.stdout.write(`a received: ${d}`));
await new Promise((r) => client.on('end', r));
server.close();

// nf_tables: a table, a NAT chain and a masquerade rule, applied as one batch.
const t = nft.table('inet', 'tour');
const post = nft.chain(t, 'postrouting', { type: 'nat', hook: 'postrouting', priority: 'srcnat', policy: 'accept' });
const masq = nft.rule(post).match(nft.ip.saddr.in('10.0.0.0/24')).match(nft.meta.oifname.neq('eth0')).masquerade().build();
await new nft.Nftables(a).transaction().addTable(t).addChain(post).addRule(masq).commit();
console.log('rule:', nft.renderRule(masq));
console.log('links in a:', (await a.links.list()).map((l) => `${l.name}(${l.operstate})`).join(' '));

await a.delete(); // unmounts /run/netns/tour-a; the veth pair goes with the namespace
b.close();
