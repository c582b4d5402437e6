// How a published port reads, as `docker port` prints it. Kept apart from
// the port logic so that a client printing ports loads nothing else.
import type { PublishedPort } from '../state/records.js';

/** `docker port` lines: "80/tcp -> 0.0.0.0:8080". */
export function describePort(p: PublishedPort): string {
  const ip = p.hostIp ?? '0.0.0.0';
  return `${p.containerPort}/${p.protocol} -> ${ip.includes(':') ? `[${ip}]` : ip}:${p.hostPort}`;
}
