// netplumb's own network endpoints: engine.networks over HTTP, with the
// model's options and its NetworkInspect objects (what Engine.connect uses).
import { API_PREFIX, type PruneAnswer } from '../../client/api.js';
import { networkCreateBody } from '../http/model-bodies.js';
import { sendEmpty, sendJson } from '../http/reply.js';
import type { RequestContext, RouteModule } from '../http/router.js';
import type { DaemonServices } from '../services.js';

type Ctx = RequestContext<DaemonServices>;

const flag = (c: Ctx, name: string): boolean => ['1', 'true'].includes(c.query.get(name) ?? '');

export const netplumbNetworkRoutes: RouteModule<DaemonServices> = {
  name: 'netplumb-networks',
  routes: [
    {
      method: 'GET',
      path: `${API_PREFIX}/networks`,
      handle: async (c: Ctx) => sendJson(c.res, 200, await c.services.engine.networks.list()),
    },
    {
      method: 'POST',
      path: `${API_PREFIX}/networks`,
      handle: async (c: Ctx) => {
        const o = (await c.body(networkCreateBody, { required: true }))!;
        sendJson(c.res, 201, await c.services.ops.run('network_create', () => c.services.engine.networks.create(o)));
      },
    },
    {
      method: 'POST',
      path: `${API_PREFIX}/networks/prune`,
      handle: async (c: Ctx) => {
        const removed = await c.services.ops.run('network_prune', () => c.services.engine.networks.prune());
        sendJson(c.res, 200, { removed } satisfies PruneAnswer);
      },
    },
    {
      method: 'GET',
      path: `${API_PREFIX}/networks/:ref`,
      handle: async (c: Ctx) => sendJson(c.res, 200, await c.services.engine.networks.inspect(c.params.ref as string)),
    },
    {
      method: 'DELETE',
      path: `${API_PREFIX}/networks/:ref`,
      handle: async (c: Ctx) => {
        await c.services.ops.run('network_remove', () => c.services.engine.networks.remove(c.params.ref as string, { force: flag(c, 'force') }));
        sendEmpty(c.res, 204);
      },
    },
  ],
};
