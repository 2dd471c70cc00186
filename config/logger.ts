import pino, { type Logger } from 'pino';
import type { Config } from './index';

/** Structured JSON logs; every line names the process, and callers bind incident/workflow ids. */
export function createLogger(config: Config, processName: 'api' | 'worker' | 'dev' | 'cli'): Logger {
  return pino({ level: config.logLevel, base: { process: processName }, timestamp: pino.stdTimeFunctions.isoTime });
}
