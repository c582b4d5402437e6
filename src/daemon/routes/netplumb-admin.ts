// The daemon itself: who it is (info), reconcile and settle on demand, the model's
// event stream (newline-delimited JSON, what engine.events() reads through
// Engine.connect), the host's graph, and Prometheus metrics.
import { API_PREFIX, apiPaths } from '../../client/api.js';
import { graphFormat, GRAPH_MEDIA_TYPES, renderGraph } from '../../model/graph/render/index.js';
import { sendEmpty, sendJson, sendText } from '../http/reply.js';
import type { RequestContext, RouteModule } from '../http/router.js';
import type { DaemonServices } from '../services.js';

type Ctx = RequestContext<DaemonServices>;

async function metrics(c: Ctx): Promise<void> {
  const r = c.services.metrics.registry;
  sendText(c.res, 200, await r.metrics(), r.contentType);
}

/** GET /netplumb/v1/graph[?format=json|text|dot|mermaid|svg]: the host's picture, drawn by the daemon. */
async function graph(c: Ctx): Promise<void> {
  const format = graphFormat(c.query.get('format') ?? 'json', 'format');
  const g = await c.services.engine.graph();
  if (format === 'json') return sendJson(c.res, 200, g);
  sendText(c.res, 200, renderGraph(g, format), GRAPH_MEDIA_TYPES[format]);
}

async function events(c: Ctx): Promise<void> {
  const live = c.services.events.watch();
  c.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  // The headers tell the client it is subscribed (engine.events().ready).
  c.res.flushHeaders();
  c.res.once('close', () => live.close());
  for await (const e of live) c.res.write(`${JSON.stringify(e)}\n`);
  c.res.end();
}

export const netplumbAdminRoutes: RouteModule<DaemonServices> = {
  name: 'netplumb-admin',
  routes: [
    { method: 'GET', path: apiPaths.info, handle: async (c: Ctx) => sendJson(c.res, 200, c.services.describe()) },
    {
      method: 'POST',
      path: `${API_PREFIX}/reconcile`,
      handle: async (c: Ctx) => {
        const report = await c.services.ops.run('reconcile', () => c.services.engine.reconcile());
        c.services.metrics.countReconcile(report);
        sendJson(c.res, 200, report);
      },
    },
    { method: 'GET', path: apiPaths.graph, handle: graph },
    // Background work done (veth pairs of sandboxes removed with `background`, as CNI DELs are): for a caller that compares the host before and after.
    {
      method: 'POST',
      path: apiPaths.settle,
      handle: async (c: Ctx) => {
        await c.services.engine.settle();
        sendEmpty(c.res, 204);
      },
    },
    { method: 'GET', path: apiPaths.events, handle: events },
    { method: 'GET', path: apiPaths.metrics, handle: metrics },
    // Where Prometheus looks by default.
    { method: 'GET', path: '/metrics', handle: metrics },
  ],
};
