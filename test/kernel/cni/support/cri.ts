// The kubelet's side of CRI, as much as the tests need: unary gRPC over
// containerd's unix socket with node:http2 (a 5-byte frame, grpc-status in
// the trailers) and the few protobuf messages written and read by hand
// (field numbers from k8s.io/cri-api runtime/v1 api.proto), so neither
// crictl (not in Debian 12) nor a gRPC package is needed.
import http2 from 'node:http2';
import net from 'node:net';

// --- protobuf: varints, length-delimited fields, and a reader of one level.
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
const bytes = (field: number, v: Buffer): Buffer => Buffer.concat([varint((field << 3) | 2), varint(v.length), v]);
export const str = (field: number, s: string): Buffer => bytes(field, Buffer.from(s));
export const msg = (field: number, ...parts: Buffer[]): Buffer => bytes(field, Buffer.concat(parts));
export const int = (field: number, n: number): Buffer => Buffer.concat([varint(field << 3), varint(n)]);

/** The fields of one message: [number, value] with length-delimited values as Buffers. */
function fields(buf: Buffer): [number, bigint | Buffer][] {
  const out: [number, bigint | Buffer][] = [];
  let i = 0;
  const read = (): bigint => {
    let r = 0n;
    for (let s = 0n; ; s += 7n) {
      const x = buf[i++];
      if (x === undefined) throw new Error('truncated protobuf');
      r |= BigInt(x & 0x7f) << s;
      if (!(x & 0x80)) return r;
    }
  };
  while (i < buf.length) {
    const key = Number(read());
    const type = key & 7;
    if (type === 0) out.push([key >> 3, read()]);
    else if (type === 2) {
      const n = Number(read());
      out.push([key >> 3, buf.subarray(i, i + n)]);
      i += n;
    } else if (type === 1) i += 8;
    else if (type === 5) i += 4;
    else throw new Error(`protobuf wire type ${type}`);
  }
  return out;
}

/** The value at a path of field numbers, as text; undefined when absent. */
export function pick(buf: Buffer, ...path: number[]): string | undefined {
  let v: bigint | Buffer | undefined = buf;
  for (const f of path) {
    if (!Buffer.isBuffer(v)) return undefined;
    v = fields(v).find(([n]) => n === f)?.[1];
  }
  return v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString() : v.toString();
}

export class CriClient {
  private readonly session: http2.ClientHttp2Session;

  constructor(socket: string) {
    this.session = http2.connect('http://localhost', { createConnection: () => net.connect(socket) });
  }

  /** One unary call; rejects with the gRPC status and message when it is not OK. */
  call(service: string, method: string, body: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const req = this.session.request({ ':method': 'POST', ':path': `/${service}/${method}`, 'content-type': 'application/grpc', te: 'trailers' });
      const chunks: Buffer[] = [];
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      req.on('response', (h) => (headers = h));
      req.on('trailers', (t) => (trailers = t));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', reject);
      req.on('end', () => {
        const status = trailers['grpc-status'] ?? headers['grpc-status'];
        if (status !== '0') {
          const m = trailers['grpc-message'] ?? headers['grpc-message'];
          reject(new Error(`${method}: grpc-status ${String(status)}: ${decodeURIComponent(String(m ?? ''))}`));
          return;
        }
        const all = Buffer.concat(chunks);
        resolve(all.length >= 5 ? all.subarray(5, 5 + all.readUInt32BE(1)) : Buffer.alloc(0));
      });
      const frame = Buffer.alloc(5);
      frame.writeUInt32BE(body.length, 1);
      req.end(Buffer.concat([frame, body]));
    });
  }

  runtime(method: string, body: Buffer): Promise<Buffer> {
    return this.call('runtime.v1.RuntimeService', method, body);
  }

  close(): void {
    this.session.close();
  }
}

export interface PodPort {
  containerPort: number;
  hostPort: number;
  /** TCP=0, UDP=1, SCTP=2 */
  protocol?: number;
  hostIp?: string;
}

/** RunPodSandboxRequest{config=1{metadata=1{name=1,uid=2,namespace=3}, hostname=2, port_mappings=5}}. */
export function podSandboxConfig(name: string, uid: string, ports: PodPort[]): Buffer {
  return msg(
    1,
    msg(1, str(1, name), str(2, uid), str(3, 'default')),
    str(2, name),
    ...ports.map((p) => msg(5, int(1, p.protocol ?? 0), int(2, p.containerPort), int(3, p.hostPort), ...(p.hostIp ? [str(4, p.hostIp)] : []))),
  );
}
