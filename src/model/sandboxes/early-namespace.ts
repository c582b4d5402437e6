// A sandbox's namespace made while another change of this engine holds the
// state lock. The kernel makes namespaces side by side, but not veth pairs
// (both take the rtnl lock, which the kernel holds for the whole of a veth's
// creation and for the loopback device of a new namespace), so a create that
// would only wait for the lock makes its namespace meanwhile, and the lock
// then covers the rest. Nothing reserves anything here: the namespace has our
// naming and no record, so a crash leaves what reconcile deletes; under the
// lock it is checked to be still there (reconcile may have deleted it).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { NativeNetns } from '../../addon/native.js';
import { netnsCalls } from '../../netns.js';
import type { ModelContext } from '../context.js';
import { newId, sandboxNetnsName } from '../state/names.js';

export interface EarlyNamespace {
  /** The id the sandbox will have: the namespace is named after it. */
  id: string;
  name: string;
  handle: Promise<NativeNetns | undefined>;
}

/** Starts making a namespace for a sandbox to come. */
export function makeEarly(ctx: ModelContext): EarlyNamespace {
  const id = newId();
  const name = sandboxNetnsName(id);
  const handle = ctx.host
    .exec([netnsCalls.create({ name, dir: ctx.netnsDir, loopbackUp: true })])
    .then(([h]) => h as NativeNetns)
    .catch(() => undefined);
  return { id, name, handle };
}

/** The namespace, if it was made and is still the one under its name; otherwise undefined (and our handle closed). */
export async function claimEarly(ctx: ModelContext, early: EarlyNamespace): Promise<NativeNetns | undefined> {
  const handle = await early.handle;
  if (!handle) return undefined;
  try {
    if (statSync(join(ctx.netnsDir, early.name)).ino === handle.inode) return handle;
  } catch {
    // its name is gone (reconcile deleted it)
  }
  handle.close();
  return undefined;
}

/** Deletes an early namespace that will not become a sandbox. */
export async function dropEarly(ctx: ModelContext, early: Pick<EarlyNamespace, 'name' | 'handle'>): Promise<void> {
  (await early.handle)?.close();
  await ctx.host.exec([netnsCalls.remove(early.name, { dir: ctx.netnsDir, ifExists: true })]).catch(() => undefined);
}
