// Docker's network endpoints (Engine API 1.41): list with filters, inspect,
// create, remove, connect, disconnect, prune, answered as dockerd 20.10
// answers them (see docker/network-view.ts for the objects).
import { ConflictError, NoSuchObjectError, RequestError } from '../../core/errors.js';
import type { NetworkRecord } from '../../model/index.js';
import { parseEventTime } from '../docker/events.js';
import { anyOf, labelsMatch, parseFilters } from '../docker/filters.js';
import { dockerNetwork, modeNetwork, MODE_NETWORKS, PREDEFINED, type DockerNetwork, type ModeNetwork } from '../docker/network-view.js';
import { connectOptions, createOptions, networkConnectBody, networkCreateBody, networkDisconnectBody } from '../docker/requests.js';
import { errorAnswer, sendEmpty, sendJson } from '../http/reply.js';
import type { RequestContext, RouteModule } from '../http/router.js';
import type { DaemonServices } from '../services.js';
import { byCodeUnits } from '../../core/order.js';

type Ctx = RequestContext<DaemonServices>;

const LIST_FILTERS = ['name', 'id', 'driver', 'label', 'type', 'scope', 'dangling'];
const PRUNE_FILTERS = ['label', 'label!', 'until'];

/** host or none, by name, id or id prefix (at least 3 digits, as for every id). */
function modeNetworkRef(s: DaemonServices, ref: string): ModeNetwork | undefined {
  return MODE_NETWORKS.find((m) => ref === m || ref === s.modeNetworks[m].id || (/^[0-9a-f]{3,63}$/.test(ref) && s.modeNetworks[m].id.startsWith(ref)));
}

async function networkRef(c: Ctx, ref: string): Promise<NetworkRecord> {
  const n = await c.services.engine.networks.find(ref);
  if (!n) throw new NoSuchObjectError('network', ref);
  return n;
}

function refuseModeNetwork(c: Ctx, ref: string, what: string): void {
  const m = modeNetworkRef(c.services, ref);
  if (m) throw new RequestError(400, `container cannot be ${what} the ${m} network: a sandbox is put in mode ${m} when it is created`);
}

async function list(c: Ctx): Promise<void> {
  const f = parseFilters(c.query.get('filters'), LIST_FILTERS);
  const s = c.services;
  const records = (await s.state.networks()).sort((a, b) => byCodeUnits(a.name, b.name));
  const used = f.has('dangling') ? new Set((await s.state.sandboxes()).flatMap((x) => x.endpoints.map((e) => e.networkId))) : new Set<string>();
  const all: { net: DockerNetwork; builtin: boolean; used: boolean }[] = [
    ...records.map((n) => ({ net: dockerNetwork(n), builtin: n.isDefault, used: used.has(n.id) })),
    ...MODE_NETWORKS.map((m) => ({ net: modeNetwork(m, s.modeNetworks[m].id, s.modeNetworks[m].created), builtin: true, used: true })),
  ];
  for (const v of f.get('dangling') ?? []) if (v !== 'true' && v !== 'false' && v !== '1' && v !== '0') throw new RequestError(400, `invalid filter 'dangling=${v}': use true or false`);
  for (const t of f.get('type') ?? []) if (t !== 'custom' && t !== 'builtin') throw new RequestError(400, `invalid filter 'type=${t}': use custom or builtin`);
  const out = all.filter(
    ({ net, builtin, used: inUse }) =>
      anyOf(f.get('name'), (v) => net.Name.includes(v)) &&
      anyOf(f.get('id'), (v) => net.Id.startsWith(v)) &&
      anyOf(f.get('driver'), (v) => net.Driver === v) &&
      anyOf(f.get('scope'), (v) => net.Scope === v) &&
      anyOf(f.get('type'), (v) => (v === 'builtin') === builtin) &&
      anyOf(f.get('dangling'), (v) => (v === 'true' || v === '1') === (!builtin && !inUse)) &&
      labelsMatch(net.Labels, f.get('label')),
  );
  sendJson(c.res, 200, out.map((x) => x.net));
}

async function inspect(c: Ctx): Promise<void> {
  const s = c.services;
  const ref = c.params.id as string;
  const m = modeNetworkRef(s, ref);
  if (m) return sendJson(c.res, 200, modeNetwork(m, s.modeNetworks[m].id, s.modeNetworks[m].created, await s.engine.sandboxes.list()));
  const n = await networkRef(c, ref);
  sendJson(c.res, 200, dockerNetwork(n, (await s.engine.networks.inspect(n.id)).Containers));
}

async function create(c: Ctx): Promise<void> {
  const body = (await c.body(networkCreateBody, { required: true }))!;
  // dockerd's words for a taken name, predefined names included.
  const taken = new ConflictError('name-in-use', `network with name ${body.Name} already exists`);
  if ((PREDEFINED as readonly string[]).includes(body.Name)) throw taken;
  const opts = createOptions(body);
  try {
    const n = await c.services.ops.run('network_create', () => c.services.engine.networks.create(opts));
    sendJson(c.res, 201, { Id: n.Id, Warning: '' });
  } catch (e) {
    if (e instanceof ConflictError && e.reason === 'name-in-use' && (await c.services.engine.networks.find(body.Name))?.name === body.Name) throw taken;
    throw e;
  }
}

async function remove(c: Ctx): Promise<void> {
  const ref = c.params.id as string;
  const m = modeNetworkRef(c.services, ref);
  const n = m ? undefined : await networkRef(c, ref);
  if (m || n?.isDefault) throw new RequestError(403, `${m ?? n?.name} is a pre-defined network and cannot be removed`);
  const net = n as NetworkRecord;
  try {
    await c.services.ops.run('network_remove', () => c.services.engine.networks.remove(net.id));
  } catch (e) {
    if (e instanceof ConflictError && e.reason === 'in-use')
      throw new ConflictError('in-use', `error while removing network: network ${net.name} id ${net.id} has active endpoints`);
    throw e;
  }
  sendEmpty(c.res, 204);
}

async function connect(c: Ctx): Promise<void> {
  const ref = c.params.id as string;
  refuseModeNetwork(c, ref, 'connected to');
  const body = (await c.body(networkConnectBody, { required: true }))!;
  const n = await networkRef(c, ref);
  const opts = connectOptions(body);
  await c.services.ops.run('network_connect', () => c.services.engine.sandboxes.connect(body.Container, n.id, opts));
  sendEmpty(c.res, 200);
}

async function disconnect(c: Ctx): Promise<void> {
  const ref = c.params.id as string;
  refuseModeNetwork(c, ref, 'disconnected from');
  const body = (await c.body(networkDisconnectBody, { required: true }))!;
  const n = await networkRef(c, ref);
  await c.services.ops.run('network_disconnect', () => c.services.engine.sandboxes.disconnect(body.Container, n.id));
  sendEmpty(c.res, 200);
}

async function prune(c: Ctx): Promise<void> {
  const f = parseFilters(c.query.get('filters'), PRUNE_FILTERS);
  const until = f.get('until')?.map((u) => parseEventTime(u, 'until') as number);
  const s = c.services;
  const used = new Set((await s.state.sandboxes()).flatMap((x) => x.endpoints.map((e) => e.networkId)));
  const deleted: string[] = [];
  for (const n of await s.state.networks()) {
    if (n.isDefault || used.has(n.id)) continue;
    if (!labelsMatch(n.labels, f.get('label'))) continue;
    if ((f.get('label!') ?? []).some((l) => labelsMatch(n.labels, [l]))) continue;
    if (until && !until.every((t) => Date.parse(n.created) < t)) continue;
    try {
      await s.ops.run('network_remove', () => s.engine.networks.remove(n.id));
      deleted.push(n.name);
    } catch (e) {
      // Connected to, or removed, by another request in the meantime: not unused any more.
      if (!(e instanceof ConflictError || e instanceof NoSuchObjectError)) throw e;
    }
  }
  // dockerd's report is a Go nil slice when nothing went: null.
  sendJson(c.res, 200, { NetworksDeleted: deleted.length > 0 ? deleted : null });
}

export const dockerNetworkRoutes: RouteModule<DaemonServices> = {
  name: 'docker-networks',
  docker: true,
  routes: [
    { method: 'GET', path: '/networks', handle: list },
    { method: 'POST', path: '/networks/create', handle: create },
    { method: 'POST', path: '/networks/prune', handle: prune },
    { method: 'GET', path: '/networks/:id', handle: inspect },
    { method: 'DELETE', path: '/networks/:id', handle: remove },
    { method: 'POST', path: '/networks/:id/connect', handle: connect },
    { method: 'POST', path: '/networks/:id/disconnect', handle: disconnect },
  ],
  // dockerd's wording for what is missing: the docker CLI and SDKs show these as they are.
  describeError(e) {
    if (!(e instanceof NoSuchObjectError) || e.kind === 'endpoint') return undefined;
    return { ...errorAnswer(e), message: e.kind === 'sandbox' ? `No such container: ${e.ref}` : `network ${e.ref} not found` };
  },
};
