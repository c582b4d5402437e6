// VERSION: the versions netplumb speaks, in the version the caller asked in.
import { LATEST_VERSION, SUPPORTED_VERSIONS } from './spec.js';

export function versionResult(stdin: string): { cniVersion: string; supportedVersions: string[] } {
  let asked: unknown;
  try {
    asked = stdin.trim() === '' ? undefined : (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
  } catch {
    asked = undefined;
  }
  return { cniVersion: typeof asked === 'string' && asked !== '' ? asked : LATEST_VERSION, supportedVersions: [...SUPPORTED_VERSIONS] };
}
