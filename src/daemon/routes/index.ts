// Every group of endpoints the daemon serves. A new group is one module
// (see http/router.ts: RouteModule) added to this list.
import type { RouteModule } from '../http/router.js';
import type { DaemonServices } from '../services.js';
import { dockerNetworkRoutes } from './docker-networks.js';
import { dockerSystemRoutes } from './docker-system.js';
import { netplumbAdminRoutes } from './netplumb-admin.js';
import { netplumbNetworkRoutes } from './netplumb-networks.js';
import { netplumbSandboxRoutes } from './netplumb-sandboxes.js';
import { cniRoutes } from './cni.js';

export const ROUTE_MODULES: readonly RouteModule<DaemonServices>[] = [
  dockerSystemRoutes,
  dockerNetworkRoutes,
  netplumbNetworkRoutes,
  netplumbSandboxRoutes,
  netplumbAdminRoutes,
  cniRoutes,
];
