// netplumb's own sandbox endpoints: engine.sandboxes over HTTP (create with
// every option the model takes, connect, disconnect, remove, inspect, list,
// ports, exec).
import { API_PREFIX } from '../../client/api.js';
import { connectBody, disconnectBody, execBody, sandboxCreateBody } from '../http/model-bodies.js';
import { sendEmpty, sendJson } from '../http/reply.js';
import type { RequestContext, RouteModule } from '../http/router.js';
import type { DaemonServices } from '../services.js';

type Ctx = RequestContext<DaemonServices>;

const ref = (c: Ctx): string => c.params.ref as string;

export const netplumbSandboxRoutes: RouteModule<DaemonServices> = {
  name: 'netplumb-sandboxes',
  routes: [
    {
      method: 'GET',
      path: `${API_PREFIX}/sandboxes`,
      handle: async (c: Ctx) => sendJson(c.res, 200, await c.services.engine.sandboxes.list()),
    },
    {
      method: 'POST',
      path: `${API_PREFIX}/sandboxes`,
      handle: async (c: Ctx) => {
        const o = (await c.body(sandboxCreateBody)) ?? {};
        sendJson(c.res, 201, await c.services.ops.run('sandbox_create', () => c.services.engine.sandboxes.create(o)));
      },
    },
    {
      method: 'GET',
      path: `${API_PREFIX}/sandboxes/:ref`,
      handle: async (c: Ctx) => sendJson(c.res, 200, await c.services.engine.sandboxes.inspect(ref(c))),
    },
    {
      method: 'DELETE',
      path: `${API_PREFIX}/sandboxes/:ref`,
      handle: async (c: Ctx) => {
        const force = ['1', 'true'].includes(c.query.get('force') ?? '');
        await c.services.ops.run('sandbox_remove', () => c.services.engine.sandboxes.remove(ref(c), { force }));
        sendEmpty(c.res, 204);
      },
    },
    {
      method: 'GET',
      path: `${API_PREFIX}/sandboxes/:ref/ports`,
      handle: async (c: Ctx) => sendJson(c.res, 200, await c.services.engine.sandboxes.ports(ref(c))),
    },
    {
      method: 'POST',
      path: `${API_PREFIX}/sandboxes/:ref/connect`,
      handle: async (c: Ctx) => {
        const { network, ...o } = (await c.body(connectBody, { required: true }))!;
        sendJson(c.res, 200, await c.services.ops.run('network_connect', () => c.services.engine.sandboxes.connect(ref(c), network, o)));
      },
    },
    {
      method: 'POST',
      path: `${API_PREFIX}/sandboxes/:ref/disconnect`,
      handle: async (c: Ctx) => {
        const { network } = (await c.body(disconnectBody, { required: true }))!;
        sendJson(c.res, 200, await c.services.ops.run('network_disconnect', () => c.services.engine.sandboxes.disconnect(ref(c), network)));
      },
    },
    {
      method: 'POST',
      path: `${API_PREFIX}/sandboxes/:ref/exec`,
      handle: async (c: Ctx) => {
        const { argv, ...o } = (await c.body(execBody, { required: true }))!;
        sendJson(c.res, 200, await c.services.ops.run('sandbox_exec', () => c.services.engine.sandboxes.exec(ref(c), argv, o)));
      },
    },
  ],
};
