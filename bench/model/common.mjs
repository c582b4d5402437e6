// Shared by the model benchmarks: an engine whose state lives on the
// sandbox's tmpfs, a "wan" namespace to connect from, a TCP proof through a
// published port, and a counter of the time spent in kernel plans (so that a
// netplumb attach splits into "kernel" and "everything else": state files,
// IPAM, locking, validation).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { Netns, Plan, connectTcp, listenTcp } from '../../dist/index.js';
import { Engine } from '../../dist/model/index.js';
import { ModelState } from '../../dist/model/state/state.js';
import { now, run } from '../lib/stats.mjs';

export { Engine, ModelState, Netns };

/**
 * An engine over a fresh state directory under /run (the sandbox's tmpfs).
 * etcDir is under /run too: the default (/etc) would write hosts/resolv.conf
 * to the machine's real /etc/netns when that directory does not exist
 * before the sandbox starts (scripts/sandbox only hides it when it exists).
 */
export async function openEngine(tag) {
  const root = `/run/netplumb-bench-${tag}`;
  run('rm', ['-rf', root]);
  return Engine.open({ host: Netns.host(), stateDir: root, etcDir: `${root}/etc`, dns: false });
}

/**
 * Splits the wall time of model operations into parts, by wrapping (in this
 * process only) Plan.run (kernel: one trip per plan), the ModelState document
 * methods (state: reading and writing JSON files, IPAM and port documents
 * included) and ModelState.locked (lock: taking and releasing the lock file).
 * What is left of an operation is JavaScript work: validation, IPAM
 * allocation, hosts/resolv.conf, inspect objects.
 */
export function modelClock() {
  const clock = {
    kernel: 0, state: 0, lock: 0, plans: 0,
    reset() { this.kernel = 0; this.state = 0; this.lock = 0; this.plans = 0; },
    get ms() { return this.kernel; },
  };
  const origRun = Plan.prototype.run;
  Plan.prototype.run = async function (...args) {
    const t0 = now();
    try {
      return await origRun.apply(this, args);
    } finally {
      clock.kernel += now() - t0;
      clock.plans++;
    }
  };
  const proto = ModelState.prototype;
  for (const name of Object.getOwnPropertyNames(proto)) {
    // Methods only: reading a getter (owner) on the prototype would run it without an instance.
    if (name === 'constructor' || name === 'locked' || typeof Object.getOwnPropertyDescriptor(proto, name)?.value !== 'function') continue;
    const orig = proto[name];
    proto[name] = async function (...args) {
      const t0 = now();
      try {
        return await orig.apply(this, args);
      } finally {
        clock.state += now() - t0;
      }
    };
  }
  const origLocked = proto.locked;
  proto.locked = function (fn) {
    const t0 = now();
    let inside;
    let t2;
    return origLocked
      .call(this, async () => {
        inside = now();
        clock.lock += inside - t0;
        try {
          return await fn();
        } finally {
          t2 = now();
        }
      })
      .finally(() => { if (t2 !== undefined) clock.lock += now() - t2; });
  };
  return clock;
}

export const HOST_WAN = '198.18.0.1';
export const WAN_ADDR = '198.18.0.2';

/** A namespace "wan" joined to the host (this sandbox's own namespace) by a veth. */
export async function makeWan(name = 'bench-wan') {
  const wan = await Netns.create({ name });
  run('ip', ['link', 'add', 'bwan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
  run('ip', ['addr', 'add', `${HOST_WAN}/24`, 'dev', 'bwan0']);
  run('ip', ['link', 'set', 'bwan0', 'up']);
  run('ip', ['-n', name, 'addr', 'add', `${WAN_ADDR}/24`, 'dev', 'eth0']);
  run('ip', ['-n', name, 'link', 'set', 'eth0', 'up']);
  run('ip', ['-n', name, 'route', 'add', 'default', 'via', HOST_WAN]);
  return wan;
}

/**
 * Proves a published port: a TCP server in `serverNs` on address:containerPort
 * answers a connection made from `clientNs` to host:hostPort. Returns ms for
 * the round trip, or throws with what went wrong.
 */
export async function proveTcp({ serverNs, address, containerPort, clientNs, host, hostPort, timeoutMs = 3000 }) {
  const token = `netplumb-bench ${containerPort}\n`;
  const srv = await listenTcp(serverNs, { address, port: containerPort }, (s) => s.end(token));
  try {
    const t0 = now();
    const got = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from ${host}:${hostPort} within ${timeoutMs} ms`)), timeoutMs);
      connectTcp(clientNs, { host, port: hostPort }).then((sock) => {
        let buf = '';
        sock.setEncoding('utf8');
        sock.on('data', (d) => (buf += d));
        sock.on('end', () => { clearTimeout(timer); sock.destroy(); resolve(buf); });
        sock.on('error', (e) => { clearTimeout(timer); reject(e); });
        sock.resume();
      }, (e) => { clearTimeout(timer); reject(e); });
    });
    if (got !== token) throw new Error(`unexpected answer ${JSON.stringify(got)} from ${host}:${hostPort}`);
    return now() - t0;
  } finally {
    srv.close();
  }
}

/** One round of a tool: pre and post untimed (what a runtime does around it), attach and detach timed. */
export async function timeRound(t, i) {
  const c = await t.pre(i);
  let t0 = now();
  await t.attach(c);
  const attach = now() - t0;
  t0 = now();
  await t.detach(c);
  const detach = now() - t0;
  await t.post(c);
  return { c, attach, detach };
}

/** What the numbers were measured on: printed with every table. */
export function machineLine() {
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  return `kernel ${kernel}, ${cpus().length} CPUs, load average ${load} (other work on the machine shows up in the spread, not in the same-run ratios)`;
}

/** Version line of a binary, or undefined when it is missing. */
export function versionOf(bin, args = ['--version']) {
  if (!existsSync(bin)) return undefined;
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n').find((l) => l.trim())?.trim();
}

export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** A Debian package's installed version, or "not installed". */
export function debVersion(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout ? r.stdout : 'not installed';
}
