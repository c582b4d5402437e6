// The CNI plugin's daemon path: the native shim (native/cni-shim) sends the
// runtime's request as {env, stdin} and prints the answer it gets back, so a
// pod's ADD or DEL costs one exec of a small binary instead of a Node start.
// It comes here over HTTP, or over the shim's own socket (../cni-socket.ts).
import { runCni } from '../../cni/index.js';
import type { CniRequest, CniResponse } from '../../cni/index.js';
import { API_PREFIX } from '../../client/api.js';
import { object, str, stringMap } from '../http/schema.js';
import { sendJson } from '../http/reply.js';
import type { RequestContext, RouteModule } from '../http/router.js';
import type { DaemonServices } from '../services.js';

export const cniRequest = object({ env: stringMap, stdin: str });

/** Runs a runtime's request as the operation 'cni': its answer, and the fields its log line carries. */
export async function serveCni(
  request: CniRequest,
  services: DaemonServices,
): Promise<{ answer: CniResponse; logFields: Record<string, unknown> }> {
  const answer = await services.ops.run('cni', () => runCni(request, services.engine));
  // What a node's operator looks for first when a pod has no network: which runtime call, and how it
  // ended, on the request's own log line (a runtime's every ADD and DEL is one line).
  const e = request.env;
  const cni = { command: e.CNI_COMMAND ?? '', containerId: e.CNI_CONTAINERID ?? '', netns: e.CNI_NETNS ?? '', ifname: e.CNI_IFNAME ?? '' };
  return { answer, logFields: { cni, exitCode: answer.exitCode } };
}

export const cniRoutes: RouteModule<DaemonServices> = {
  name: 'cni',
  routes: [
    {
      method: 'POST',
      path: `${API_PREFIX}/cni`,
      handle: async (c: RequestContext<DaemonServices>) => {
        const { answer, logFields } = await serveCni((await c.body(cniRequest, { required: true }))!, c.services);
        c.logFields(logFields);
        sendJson(c.res, 200, answer);
      },
    },
  ],
};
