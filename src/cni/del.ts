// DEL: releases everything of the attachment from netplumb's own record (the
// sandbox named after the attachment's key): port elements, address, veth
// and state. It needs neither the namespace (containerd sends DEL with an
// empty CNI_NETNS) nor prevResult, and succeeds when there is nothing to
// release (repeated, never added, or an ADD that failed). The veth pair is
// taken down at once and deleted in the background (see the model's
// LinkReaper): the runtime deletes the namespace next, which takes it along.
import type { Engine } from '../model/index.js';
import { attachmentName } from './attachment.js';
import { networkName, type Json } from './config.js';
import { attachmentEnv, type CniEnv } from './env.js';

export async function del(engine: Engine, env: CniEnv, raw: Json): Promise<void> {
  const a = attachmentEnv(env);
  await engine.sandboxes.remove(attachmentName(networkName(raw), a.containerId, a.ifname), { force: true, background: true });
}
