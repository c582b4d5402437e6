// A small authoritative DNS server in the wan namespace, standing for the
// resolvers of the outside world: the networks' DNS responders forward names
// they do not own here (never to the machine's real resolvers).
import type dgram from 'node:dgram';
import type { Netns } from '../netns.js';
import { normalizeName } from '../dns/names.js';
import { buildResponse, parseQuery, Rcode, RRType } from '../dns/wire.js';
import { bindUdp } from '../kernel/sockets.js';

export class WanDns {
  /** Queries answered so far, to show that forwarding really reached the wan. */
  answered = 0;

  private constructor(private readonly socket: dgram.Socket) {}

  /** Serves `records` (name → IPv4 address) on address:53 inside `ns`; other names are NXDOMAIN. */
  static async start(ns: Netns, address: string, records: Record<string, string>): Promise<WanDns> {
    const socket = await bindUdp(ns, { address, port: 53 });
    const server = new WanDns(socket);
    socket.on('message', (msg, rinfo) => {
      let reply: Buffer;
      try {
        const q = parseQuery(msg);
        const question = q.questions[0];
        const known = question ? records[normalizeName(question.name)] : undefined;
        reply =
          known !== undefined && question?.type === RRType.A
            ? buildResponse(q, { authoritative: true, answers: [{ address: known, ttl: 60 }] })
            : buildResponse(q, { authoritative: true, rcode: known !== undefined ? Rcode.NOERROR : Rcode.NXDOMAIN });
      } catch {
        return;
      }
      server.answered++;
      socket.send(reply, rinfo.port, rinfo.address);
    });
    return server;
  }

  close(): void {
    this.socket.close();
  }
}
