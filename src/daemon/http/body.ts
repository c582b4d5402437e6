// Request bodies: read up to a limit (a larger one is refused with 413 before
// it is buffered), and parsed as JSON only when it says it is JSON, as
// dockerd does.
import type { IncomingMessage } from 'node:http';
import { RequestError } from '../../core/errors.js';

/** The largest body any endpoint takes: the biggest legitimate one (a sandbox with many options) is a few KiB. */
export const MAX_BODY_BYTES = 1 << 20;

/** How much of a refused body is read and dropped so that its sender, still writing, gets the 413 instead of a broken pipe. */
const DISCARD_BYTES = 16 << 20;

/** Reads and drops the rest of a refused body, up to DISCARD_BYTES (past that the connection is closed on the sender). */
async function discardRest(req: IncomingMessage, iterator?: AsyncIterator<Buffer>): Promise<void> {
  const it = iterator ?? (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let dropped = 0;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    dropped += r.value.length;
    if (dropped > DISCARD_BYTES) return;
  }
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    if (declared <= DISCARD_BYTES) await discardRest(req);
    throw new RequestError(413, `request body of ${declared} bytes is larger than the ${limit} bytes allowed`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const it = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  for (let r = await it.next(); !r.done; r = await it.next()) {
    size += r.value.length;
    if (size > limit) {
      await discardRest(req, it);
      throw new RequestError(413, `request body is larger than the ${limit} bytes allowed`);
    }
    chunks.push(r.value);
  }
  return Buffer.concat(chunks);
}

/** The body as JSON; undefined when empty and not `required`. */
export function parseJsonBody(req: IncomingMessage, body: Buffer, required: boolean): unknown {
  if (body.length === 0) {
    if (required) throw new RequestError(400, 'the request needs a JSON body');
    return undefined;
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new RequestError(400, `unsupported Content-Type header (${req.headers['content-type'] ?? 'none'}): must be 'application/json'`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new RequestError(400, `invalid JSON in the request body: ${(e as Error).message}`);
  }
}
