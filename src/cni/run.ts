// One CNI request — the environment and stdin a runtime gave the plugin — to
// its answer: what to print on stdout and the exit status. The daemon serves
// it (POST /netplumb/v1/cni), and the in-process entry (main.ts) runs it when
// no daemon answers; both give the same answers. Order of checks, all before
// the kernel is touched: environment (4), stdin (6), version (1), config (7, 2).
import { join } from 'node:path';
import { CniError } from '../core/errors.js';
import type { Engine } from '../model/index.js';
import { add } from './add.js';
import { check } from './check.js';
import { decodeJson, requestVersion, stateDirOf, type Json } from './config.js';
import { del } from './del.js';
import { parseEnv } from './env.js';
import { cniFailure } from './failure.js';
import { gc } from './gc.js';
import { CODE, LATEST_VERSION, type CniErrorResult } from './spec.js';
import { status } from './status.js';
import { versionResult } from './version.js';

export interface CniRequest {
  /** The plugin's CNI_* environment (other variables are ignored). */
  env: Record<string, string>;
  /** The network config the runtime wrote to the plugin's stdin. */
  stdin: string;
}

export interface CniResponse {
  exitCode: number;
  stdout: string;
}

/** An engine, or how to open one: requests that fail before their work (VERSION, bad input) never open it. */
export type CniEngine = Engine | ((stateDir: string | undefined) => Promise<Engine>);

function checkedRequest(r: unknown): CniRequest {
  const o = r as Partial<CniRequest> | null;
  if (typeof o !== 'object' || o === null || typeof o.env !== 'object' || o.env === null)
    throw new CniError(CODE.invalidEnvironment, 'invalid request', 'a request is {"env": {CNI_*: string}, "stdin": string}');
  for (const [k, v] of Object.entries(o.env))
    if (typeof v !== 'string') throw new CniError(CODE.invalidEnvironment, `invalid ${k}`, `${k} must be a string`);
  if (typeof o.stdin !== 'string') throw new CniError(CODE.undecodable, 'failed to decode the network config', 'stdin must be a string');
  return o as CniRequest;
}

/** The engine's state root must be the one the config names, if it names one. */
function sameState(engine: Engine, stateDir: string | undefined): Engine {
  if (stateDir === undefined) return engine;
  const dirs = engine.stateDirs;
  if (dirs.runtime !== join(stateDir, 'run') || dirs.config !== join(stateDir, 'lib'))
    throw new CniError(
      CODE.invalidConfig,
      'invalid network config',
      `stateDir ${stateDir} is not the state netplumb serves here (${dirs.runtime}, ${dirs.config}): leave stateDir out or start netplumbd with --state-dir ${stateDir}`,
    );
  return engine;
}

const answer = (value: unknown): CniResponse => ({ exitCode: 0, stdout: value === undefined ? '' : `${JSON.stringify(value)}\n` });

export async function runCni(request: CniRequest, engine: CniEngine): Promise<CniResponse> {
  let version: string = LATEST_VERSION;
  let context = {};
  try {
    const req = checkedRequest(request);
    const env = parseEnv(req.env);
    if (env.command === 'VERSION') return answer(versionResult(req.stdin));
    const raw: Json = decodeJson(req.stdin);
    if (typeof raw.cniVersion === 'string' && raw.cniVersion !== '') version = raw.cniVersion;
    const v = requestVersion(raw, env.command);
    context = { ifname: env.ifname, netns: env.netns, network: raw.name };
    const dir = stateDirOf(raw);
    const e = typeof engine === 'function' ? await engine(dir) : sameState(engine, dir);
    switch (env.command) {
      case 'ADD':
        return answer(await add(e, env, raw, v));
      case 'DEL':
        return answer(await del(e, env, raw));
      case 'CHECK':
        return answer(await check(e, env, raw));
      case 'GC':
        return answer(await gc(e, raw));
      case 'STATUS':
        return answer(await status(e, raw));
    }
  } catch (e) {
    const f = cniFailure(e, context);
    const out: CniErrorResult = { cniVersion: version, code: f.cniCode, msg: f.message, ...(f.details !== undefined ? { details: f.details } : {}) };
    return { exitCode: 1, stdout: `${JSON.stringify(out)}\n` };
  }
}
