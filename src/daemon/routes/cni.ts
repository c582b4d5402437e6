// The CNI plugin's daemon path: the native shim (native/cni-shim) POSTs the
// runtime's request as {env, stdin} and prints the answer it gets back, so a
// pod's ADD or DEL costs one exec of a small binary instead of a Node start.
import { runCni } from '../../cni/index.js';
import { API_PREFIX } from '../../client/api.js';
import { object, str, stringMap } from '../http/schema.js';
import { sendJson } from '../http/reply.js';
import type { RequestContext, RouteModule } from '../http/router.js';
import type { DaemonServices } from '../services.js';

const cniRequest = object({ env: stringMap, stdin: str });

export const cniRoutes: RouteModule<DaemonServices> = {
  name: 'cni',
  routes: [
    {
      method: 'POST',
      path: `${API_PREFIX}/cni`,
      handle: async (c: RequestContext<DaemonServices>) => {
        const request = (await c.body(cniRequest, { required: true }))!;
        const answer = await c.services.ops.run('cni', () => runCni(request, c.services.engine));
        // What a node's operator looks for first when a pod has no network: which runtime call, and how it
        // ended, on the request's own log line (a runtime's every ADD and DEL is one line).
        const e = request.env;
        c.logFields({ cni: { command: e.CNI_COMMAND ?? '', containerId: e.CNI_CONTAINERID ?? '', netns: e.CNI_NETNS ?? '', ifname: e.CNI_IFNAME ?? '' }, exitCode: answer.exitCode });
        sendJson(c.res, 200, answer);
      },
    },
  ],
};
