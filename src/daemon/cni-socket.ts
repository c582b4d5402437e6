// netplumbd's socket for the CNI shim, beside each unix socket it listens on
// (<path>.cni, where native/cni-shim/main.c looks first): one request per
// connection, the shim's {env, stdin} JSON and then its side shut, answered
// with {exitCode, stdout} and closed. The same requests as POST
// /netplumb/v1/cni, served by the addon on this thread's loop without Node's
// HTTP and stream objects, which cost the daemon ~1.3 ms of CPU per request
// on this machine (bench/cni/add-del.mjs's VERSION row: 2.05 ms over HTTP,
// 0.75 ms here).
import { native, type OneShotServerInstance } from '../addon/native.js';
import { RequestError } from '../core/errors.js';
import { MAX_BODY_BYTES, parseJson } from './http/body.js';
import { nextRequestId, type HttpFront } from './http/front.js';
import { bindUnix } from './listen.js';
import { cniRequest, serveCni } from './routes/cni.js';
import type { DaemonServices } from './services.js';

/** Where the shim looks for it, beside netplumbd's socket at `path` (native/cni-shim/main.c's CNI_SOCKET_SUFFIX). */
const cniSocketPath = (path: string): string => `${path}.cni`;

/** The route its requests are logged under. */
const ROUTE = 'cni-socket';

/** A shim sends its request at once: one not whole by then is a stuck client (the HTTP front's headers timeout). */
const REQUEST_TIMEOUT_MS = 30_000;

/** The kernel's limit on a unix socket's path (sun_path, its NUL included). */
const SUN_PATH_BYTES = 108;

export interface CniSocket {
  readonly path: string;
  /** Stops taking connections and removes the socket file (libuv does, as it closes); requests being answered still get their answers. */
  close(): void;
}

/** What one request's bytes come to: the text to send back, and what its log line says. */
async function answerOf(body: Buffer, services: DaemonServices): Promise<{ text: string; status: number; fields: Record<string, unknown> }> {
  try {
    const { answer, logFields } = await serveCni(cniRequest(parseJson(body), 'request'), services);
    return { text: JSON.stringify(answer), status: 200, fields: logFields };
  } catch (e) {
    // The shim prints what it cannot read as an answer in its CNI error's details.
    const status = e instanceof RequestError ? e.status : 500;
    return { text: JSON.stringify({ message: (e as Error).message }), status, fields: { err: (e as Error).message } };
  }
}

/** Listens beside the unix socket at `apiPath`; undefined when that path leaves no room for the suffix (the shim then uses HTTP). */
export async function listenCniSocket(
  apiPath: string,
  services: DaemonServices,
  front: Pick<HttpFront<DaemonServices>, 'admit'>,
  group: string,
): Promise<CniSocket | undefined> {
  const path = cniSocketPath(apiPath);
  if (Buffer.byteLength(path) >= SUN_PATH_BYTES) {
    services.log.info({ socket: apiPath }, 'no CNI socket beside this one (its path would be too long): the CNI plugin uses HTTP there');
    return undefined;
  }
  let server: OneShotServerInstance | undefined;
  const onRequest = (id: number, body: Buffer): void => {
    const start = process.hrtime.bigint();
    const logId = nextRequestId();
    const done = front.admit();
    void answerOf(body, services).then(({ text, status, fields }) => {
      server?.reply(id, text);
      // Counted and timed as the operation 'cni' (not as HTTP requests, which these are not).
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      services.log.info({ req: { id: logId, socket: path }, res: { status }, route: ROUTE, durationMs: Number((seconds * 1000).toFixed(3)), ...fields }, 'request');
      done();
    });
  };
  await bindUnix(
    path,
    () => {
      server = new native.OneShotServer(path, MAX_BODY_BYTES, REQUEST_TIMEOUT_MS, onRequest);
    },
    group,
    services.log,
  );
  return {
    path,
    close: () => server?.close(),
  };
}
