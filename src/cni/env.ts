// The CNI_* environment of a request, checked before anything else: which
// variables a command needs, and what a container ID and an interface name
// may look like (SPEC.md, "Parameters"). Every failure is code 4 and names
// the variable.
import { CniError } from '../core/errors.js';
import { interfaceName } from '../core/validate.js';
import { parseCniArgs, type CniArgs } from './cni-args.js';
import { CODE, COMMANDS, type CniCommand } from './spec.js';

export interface CniEnv {
  command: CniCommand;
  containerId?: string;
  netns?: string;
  ifname?: string;
  /** CNI_ARGS as given: only attachments read it. */
  cniArgs: string;
}

/** An attachment's parameters, all present, and CNI_ARGS read. */
export interface AttachmentEnv extends CniEnv {
  containerId: string;
  ifname: string;
  args: CniArgs;
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function bad(variable: string, why: string): CniError {
  return new CniError(CODE.invalidEnvironment, `invalid ${variable}`, `${variable} ${why}`);
}

export function parseEnv(env: Readonly<Record<string, string | undefined>>): CniEnv {
  const command = env.CNI_COMMAND;
  if (command === undefined || command === '') throw bad('CNI_COMMAND', `is not set: it must be one of ${COMMANDS.join(', ')}`);
  if (!(COMMANDS as readonly string[]).includes(command))
    throw bad('CNI_COMMAND', `is '${command}', which is not a CNI command (${COMMANDS.join(', ')})`);
  const out: CniEnv = { command: command as CniCommand, cniArgs: env.CNI_ARGS ?? '' };
  if (env.CNI_CONTAINERID) out.containerId = env.CNI_CONTAINERID;
  if (env.CNI_NETNS) out.netns = env.CNI_NETNS;
  if (env.CNI_IFNAME) out.ifname = env.CNI_IFNAME;
  return out;
}

/**
 * ADD and CHECK need CNI_CONTAINERID, CNI_NETNS and CNI_IFNAME; DEL needs
 * the container ID and interface name (its namespace may be gone already).
 */
export function attachmentEnv(env: CniEnv): AttachmentEnv {
  const missing = [
    ...(env.containerId === undefined ? ['CNI_CONTAINERID'] : []),
    ...(env.netns === undefined && env.command !== 'DEL' ? ['CNI_NETNS'] : []),
    ...(env.ifname === undefined ? ['CNI_IFNAME'] : []),
  ];
  if (missing.length > 0)
    throw new CniError(CODE.invalidEnvironment, `missing ${missing.join(', ')}`, `${env.command} needs ${missing.join(', ')} in the environment`);
  const containerId = env.containerId as string;
  if (!CONTAINER_ID.test(containerId))
    throw bad('CNI_CONTAINERID', `'${containerId}' must start with a letter or digit followed by letters, digits, '_', '.' or '-'`);
  try {
    interfaceName(env.ifname, 'CNI_IFNAME');
  } catch (e) {
    throw bad('CNI_IFNAME', `'${env.ifname}': ${(e as Error).message}`);
  }
  if (env.netns !== undefined && !env.netns.startsWith('/'))
    throw bad('CNI_NETNS', `'${env.netns}' must be an absolute path to a network namespace`);
  return { ...env, containerId, ifname: env.ifname as string, args: parseCniArgs(env.cniArgs) };
}
