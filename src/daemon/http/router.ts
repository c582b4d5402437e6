// Requests to handlers. Routes come in modules, one per group of endpoints
// (Docker's networks, Docker's system endpoints, netplumb's sandboxes, …),
// and a module is added to the daemon by listing it in routes/index.ts.
// Docker's modules are served with and without an API version prefix
// (/v1.41/networks and /networks), and a version above the one spoken is
// refused as dockerd refuses it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestError } from '../../core/errors.js';
import { parseJsonBody, readBody } from './body.js';
import { errorAnswer, sendError, type ErrorAnswer } from './reply.js';
import type { Check } from './schema.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** The Docker Engine API version spoken (docker 20.10), and the oldest one accepted (dockerd's minimum). */
export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.12';

export interface RequestContext<S> {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The route's :parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The /v1.xx prefix the client used, if any. */
  readonly apiVersion: string | undefined;
  readonly services: S;
  /** The body as JSON, checked; without `required`, an empty body is undefined. */
  body<T>(check: Check<T>, o?: { required?: boolean }): Promise<T | undefined>;
  /** Adds fields to the request's one log line (written when it is answered), instead of a line of the route's own. */
  logFields(fields: Record<string, unknown>): void;
}

export interface Route<S> {
  method: Method;
  /** Segments, with :name for a parameter: /networks/:id/connect. */
  path: string;
  handle(c: RequestContext<S>): Promise<void>;
}

export interface RouteModule<S> {
  name: string;
  /** Docker Engine API endpoints: also served under /v1.12 … /v1.41. */
  docker?: boolean;
  routes: Route<S>[];
  /** How this module words an error (Docker's messages); undefined falls back to the error's own. */
  describeError?: (e: unknown, c: RequestContext<S>) => ErrorAnswer | undefined;
}

interface Compiled<S> {
  module: RouteModule<S>;
  route: Route<S>;
  segments: string[];
}

const VERSIONED = /^\/v(\d+)\.(\d+)(\/.*)$/;

function compareVersions(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number) as [number, number];
  const [b1, b2] = b.split('.').map(Number) as [number, number];
  return a1 - b1 || a2 - b2;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function match(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const s = segments[i] as string;
    if (p.startsWith(':')) params[p.slice(1)] = s;
    else if (p !== s) return undefined;
  }
  return params;
}

export class Router<S> {
  private readonly routes: Compiled<S>[] = [];

  constructor(
    modules: readonly RouteModule<S>[],
    private readonly services: S,
  ) {
    for (const module of modules) for (const route of module.routes) this.routes.push({ module, route, segments: splitPath(route.path) });
  }

  /** What was matched for a request: for logs and metrics (the route pattern, never the raw path). */
  static routeOf(res: ServerResponse): string | undefined {
    return (res as ServerResponse & { netplumbRoute?: string }).netplumbRoute;
  }

  /** The fields the route added to the request's log line. */
  static logFieldsOf(res: ServerResponse): Record<string, unknown> | undefined {
    return (res as ServerResponse & { netplumbLog?: Record<string, unknown> }).netplumbLog;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let module: RouteModule<S> | undefined;
    let ctx: RequestContext<S> | undefined;
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      let path = q < 0 ? url : url.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      let apiVersion: string | undefined;
      const versioned = VERSIONED.exec(path);
      if (versioned) {
        apiVersion = `${versioned[1]}.${versioned[2]}`;
        path = versioned[3] as string;
        if (compareVersions(apiVersion, API_VERSION) > 0)
          throw new RequestError(400, `client version ${apiVersion} is too new. Maximum supported API version is ${API_VERSION}`);
        if (compareVersions(apiVersion, MIN_API_VERSION) < 0)
          throw new RequestError(400, `client version ${apiVersion} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
      }
      let segments: string[];
      try {
        segments = splitPath(path).map(decodeURIComponent);
      } catch {
        throw new RequestError(400, `the path ${path} is not validly percent-encoded`);
      }
      const method = req.method === 'HEAD' ? ['HEAD', 'GET'] : [req.method];
      let found: { c: Compiled<S>; params: Record<string, string> } | undefined;
      const allowed = new Set<string>();
      for (const m of method) {
        for (const c of this.routes) {
          if (apiVersion !== undefined && !c.module.docker) continue;
          const params = match(c.segments, segments);
          if (!params) continue;
          if (c.route.method === m) {
            found ??= { c, params };
          } else {
            allowed.add(c.route.method);
          }
        }
        if (found) break;
      }
      if (!found) {
        if (allowed.size > 0) {
          res.setHeader('Allow', [...allowed].join(', '));
          throw new RequestError(405, `${req.method} is not allowed on ${path}; use ${[...allowed].join(' or ')}`);
        }
        throw new RequestError(404, 'page not found');
      }
      module = found.c.module;
      (res as ServerResponse & { netplumbRoute?: string }).netplumbRoute = `${found.c.route.method} ${found.c.route.path}`;
      ctx = {
        req,
        res,
        params: found.params,
        query,
        apiVersion,
        services: this.services,
        body: async <T>(check: Check<T>, o: { required?: boolean } = {}) => {
          const json = parseJsonBody(req, await readBody(req), o.required ?? false);
          return json === undefined ? undefined : check(json, 'body');
        },
        logFields: (fields) => {
          const r = res as ServerResponse & { netplumbLog?: Record<string, unknown> };
          r.netplumbLog = { ...r.netplumbLog, ...fields };
        },
      };
      await found.c.route.handle(ctx);
    } catch (e) {
      if (res.headersSent) {
        // A stream that broke half way: all that can be done is to end it.
        res.destroy();
        return;
      }
      if (e instanceof RequestError && e.status === 413) res.setHeader('Connection', 'close');
      sendError(res, (ctx && module?.describeError?.(e, ctx)) ?? errorAnswer(e));
    }
  }
}
