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
async function discardRest(req: IncomingMessage): Promise<void> {
  const it = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let dropped = 0;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    dropped += r.value.length;
    if (dropped > DISCARD_BYTES) return;
  }
}

/**
 * The whole body. Read from the stream's events, not its async iterator: a
 * body that came with its headers is then whole in the same turn of the
 * event loop, where the iterator's promises and stream bookkeeping cost
 * ~0.3 ms of every request (a CNI ADD or DEL waits for it).
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    return (declared <= DISCARD_BYTES ? discardRest(req) : Promise.resolve()).then(() => {
      throw new RequestError(413, `request body of ${declared} bytes is larger than the ${limit} bytes allowed`);
    });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: unknown, body?: Buffer): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err !== undefined) reject(err);
      else resolve(body as Buffer);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // Too large: what follows is read and dropped (see discardRest), then refused.
      done(undefined, undefined);
      const tooLarge = new RequestError(413, `request body is larger than the ${limit} bytes allowed`);
      discardRest(req).then(() => reject(tooLarge), () => reject(tooLarge));
    };
    const onEnd = (): void => done(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    const onError = (e: Error): void => done(e);
    // A client that went away before the end of its body: nothing more will come.
    const onClose = (): void => done(Object.assign(new Error('the request was closed before its body ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
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
  return parseJson(body);
}

/** A request's bytes as JSON; a 400 RequestError saying why when they are not. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new RequestError(400, `invalid JSON in the request body: ${(e as Error).message}`);
  }
}
