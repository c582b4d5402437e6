// GC (1.1.0): removes every attachment of the network that is not in
// cni.dev/valid-attachments, as DEL would, and keeps the valid ones. Errors
// do not stop it: it removes what it can and reports the rest.
import { CniError } from '../core/errors.js';
import type { Engine } from '../model/index.js';
import { attachmentName } from './attachment.js';
import { networkName, type Json } from './config.js';
import { cniFailure } from './failure.js';
import { networkNamed } from './network.js';
import { CODE } from './spec.js';

const ATTACHMENT_NAME = /^cni-[0-9a-f]{40}$/;

interface ValidAttachment {
  containerID: string;
  ifname: string;
}

function validAttachments(raw: Json): ValidAttachment[] {
  // libcni also sends the key the 1.1.0 spec text first used (cni.dev/attachments).
  const list = raw['cni.dev/valid-attachments'] ?? raw['cni.dev/attachments'];
  const bad = new CniError(CODE.invalidConfig, 'invalid network config', 'GC needs cni.dev/valid-attachments: a list of {"containerID", "ifname"}');
  if (!Array.isArray(list)) throw bad;
  for (const a of list)
    if (typeof a !== 'object' || a === null || typeof a.containerID !== 'string' || typeof a.ifname !== 'string') throw bad;
  return list as ValidAttachment[];
}

export async function gc(engine: Engine, raw: Json): Promise<void> {
  const name = networkName(raw);
  const valid = validAttachments(raw);
  const n = await networkNamed(engine, name);
  if (!n) return;
  const keep = new Set(valid.map((v) => attachmentName(name, v.containerID, v.ifname)));
  const stale = (await engine.sandboxes.list()).filter(
    (s) => ATTACHMENT_NAME.test(s.name) && s.networks.some((e) => e.networkId === n.id) && !keep.has(s.name),
  );
  const failures: CniError[] = [];
  for (const s of stale) {
    try {
      await engine.sandboxes.remove(s.id, { force: true, background: true });
    } catch (e) {
      failures.push(cniFailure(e));
    }
  }
  if (failures.length > 0)
    throw new CniError(failures[0]!.cniCode, `GC could not remove ${failures.length} of ${stale.length} stale attachments`, failures.map((f) => f.details ?? f.message).join('; '));
}
