// Structured logs: one JSON object per line on stdout (journald keeps them as
// they are), with dockerd's level names.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './flags.js';

export type { Logger };

export function createLogger(level: LogLevel, fd = 1): Logger {
  return pino(
    {
      name: 'netplumbd',
      level: level === 'panic' ? 'fatal' : level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd, sync: true }),
  );
}
