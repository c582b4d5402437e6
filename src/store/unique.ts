// Names for temporary files and lock tokens that no other writer uses: this
// process's pid, a random token drawn once, and a counter. Drawing random
// bytes for every name cost more than the write it named.
import { randomBytes } from 'node:crypto';

// Drawn at the first name, not at load: a process that only reads state never starts OpenSSL.
let processToken: string | undefined;
let counter = 0;

export function uniqueSuffix(): string {
  processToken ??= randomBytes(6).toString('hex');
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${process.pid}.${processToken}.${counter.toString(36)}`;
}
