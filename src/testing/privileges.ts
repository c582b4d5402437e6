// Whether this process may build a lab: making network namespaces and
// mounting them needs CAP_SYS_ADMIN and CAP_NET_ADMIN where it runs — real
// root, or root of a user namespace such as `netplumb sandbox` makes. Without
// them the lab refuses at once and says how to run the tests instead.
import { readFileSync } from 'node:fs';
import { SandboxRequiredError } from '../core/errors.js';

const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

/** The effective capability set of this process (/proc/self/status CapEff). */
function effectiveCapabilities(status = readFileSync('/proc/self/status', 'utf8')): bigint {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex === undefined ? 0n : BigInt(`0x${hex}`);
}

export function canBuildLabs(status?: string): boolean {
  const caps = effectiveCapabilities(status);
  return ((caps >> CAP_NET_ADMIN) & 1n) === 1n && ((caps >> CAP_SYS_ADMIN) & 1n) === 1n;
}

export const HOW_TO_RUN =
  'run the tests inside a throwaway sandbox, which needs no root: `npx netplumb sandbox -- npx vitest run` ' +
  "(any runner: `npx netplumb sandbox -- node --test`), or add globalSetup: ['netplumb/testing/vitest-setup'] " +
  'to vitest.config, which enters one for the whole run';

export function requireLabPrivileges(): void {
  if (canBuildLabs()) return;
  throw new SandboxRequiredError(
    'netplumb/testing cannot build a lab here: this process may not make network namespaces ' +
      `(it lacks CAP_NET_ADMIN and CAP_SYS_ADMIN: not root, and not inside a sandbox); ${HOW_TO_RUN}`,
  );
}
