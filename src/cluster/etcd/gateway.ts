// etcd v3's JSON gateway (/v3/… on the client port, on in 3.4 and 3.5),
// spoken with Node's own http module: keys and values travel as base64, 64-bit
// integers as strings, and fields that hold their zero value are left out.
// A request goes to the endpoint that answered last; when it cannot be
// reached, the next one is tried, and only when none answers does the call
// fail, with the store's address in the message.
import { ClusterStoreError } from '../../core/errors.js';
import { directConnector, post, readAll, type Connector } from './http.js';

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: string | undefined): string => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'));

/** The end of the range of every key that starts with `prefix` (etcd's range_end). */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i]! += 1;
      return end.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64');
}

export interface GatewayOptions {
  /** Per request (default 3000 ms). */
  timeoutMs?: number;
  /** How connections are opened (default: from this process's namespace). */
  connect?: Connector;
}

function causeOf(e: unknown): string {
  const x = e as { code?: string; message?: string };
  return x.code ?? x.message ?? String(e);
}

export class Gateway {
  private current = 0;

  constructor(
    readonly address: string,
    readonly endpoints: readonly string[],
    private readonly opts: GatewayOptions = {},
  ) {}

  /** The endpoint requests go to now. */
  get endpoint(): string {
    return this.endpoints[this.current]!;
  }

  /** Moves on to the next endpoint (after this one failed). */
  rotate(): void {
    this.current = (this.current + 1) % this.endpoints.length;
  }

  get timeoutMs(): number {
    return this.opts.timeoutMs ?? 3000;
  }

  get connect(): Connector {
    return this.opts.connect ?? directConnector;
  }

  /** POSTs `body` to /v3/<path>, trying each endpoint once; resolves to the parsed answer. */
  async call<T>(path: string, body: unknown): Promise<T> {
    const failures: string[] = [];
    for (let tried = 0; tried < this.endpoints.length; tried++) {
      const endpoint = this.endpoint;
      let status: number;
      let text: string;
      try {
        const res = await post(this.connect, endpoint, `/v3/${path}`, body, this.timeoutMs);
        status = res.statusCode ?? 0;
        text = await readAll(res);
      } catch (e) {
        failures.push(`${endpoint}: ${causeOf(e)}`);
        this.rotate();
        continue;
      }
      // The streaming endpoints (lease/keepalive) answer one JSON object per line.
      if (status === 200) return JSON.parse(text.trim().split('\n')[0]!) as T;
      // An answer, but a refusal: another member would refuse it too.
      let message = text.trim();
      try {
        message = (JSON.parse(text) as { message?: string; error?: string }).message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new ClusterStoreError(this.address, `the cluster store ${this.address} refused ${path}: ${message} (HTTP ${status})`);
    }
    throw new ClusterStoreError(this.address, `cannot reach the cluster store ${this.address} (${failures.join('; ')})`);
  }
}
