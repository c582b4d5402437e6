// Docker's system endpoints a network client needs: /_ping (the docker CLI
// negotiates its API version from the API-Version header of a HEAD /_ping),
// /version, and /events (network events, replayed from `since`, ending at
// `until`).
import { readFileSync } from 'node:fs';
import { arch } from 'node:os';
import type { ModelEvent } from '../../model/index.js';
import { dockerEvent, eventMatches, EVENT_FILTERS, parseEventTime } from '../docker/events.js';
import { parseFilters } from '../docker/filters.js';
import { sendJson } from '../http/reply.js';
import { API_VERSION, MIN_API_VERSION, type RequestContext, type RouteModule } from '../http/router.js';
import type { DaemonServices } from '../services.js';

type Ctx = RequestContext<DaemonServices>;

/** Go's names for Node's architectures, as dockerd reports them. */
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

function kernelVersion(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    return '';
  }
}

async function ping(c: Ctx): Promise<void> {
  const body = 'OK';
  c.res.writeHead(200, {
    'API-Version': API_VERSION,
    OSType: 'linux',
    'Docker-Experimental': 'false',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': body.length,
  });
  c.res.end(c.req.method === 'HEAD' ? undefined : body);
}

async function version(c: Ctx): Promise<void> {
  const v = c.services.version;
  const common = { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: '', GoVersion: `node ${process.version}`, Os: 'linux', Arch: GOARCH[arch()] ?? arch(), KernelVersion: kernelVersion(), BuildTime: '' };
  sendJson(c.res, 200, {
    Platform: { Name: 'netplumb' },
    Components: [{ Name: 'Engine', Version: v, Details: { ...common, Experimental: 'false' } }],
    Version: v,
    ...common,
  });
}

async function events(c: Ctx): Promise<void> {
  const filters = parseFilters(c.query.get('filters'), EVENT_FILTERS);
  const since = parseEventTime(c.query.get('since'), 'since');
  const until = parseEventTime(c.query.get('until'), 'until');
  const log = c.services.events;
  const res = c.res;
  // Subscribed before the replay is read, with no await between: no event falls in the gap.
  const live = log.watch();
  res.writeHead(200, { 'Content-Type': 'application/json' });
  const send = (e: ModelEvent): void => {
    if (until !== undefined && e.time > until) return;
    const d = dockerEvent(e);
    const container = e.type === 'endpoint' ? e.sandbox.name : undefined;
    if (d && eventMatches(d, filters, container !== undefined ? { container } : {})) res.write(`${JSON.stringify(d)}\n`);
  };
  if (since !== undefined) for (const e of log.since(since)) send(e);
  const ends = until === undefined ? undefined : until - Date.now();
  if (ends !== undefined && ends <= 0) {
    live.close();
    res.end();
    return;
  }
  // Past setTimeout's range (~24.8 days) the stream simply lasts until the client leaves.
  const timer = ends === undefined || ends > 0x7fffffff ? undefined : setTimeout(() => live.close(), ends);
  res.once('close', () => live.close());
  for await (const e of live) send(e);
  if (timer) clearTimeout(timer);
  res.end();
}

export const dockerSystemRoutes: RouteModule<DaemonServices> = {
  name: 'docker-system',
  docker: true,
  routes: [
    { method: 'GET', path: '/_ping', handle: ping },
    { method: 'HEAD', path: '/_ping', handle: ping },
    { method: 'GET', path: '/version', handle: version },
    { method: 'GET', path: '/events', handle: events },
  ],
};
