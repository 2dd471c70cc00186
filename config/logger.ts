import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './index';

/** Secrets that travel in URLs (Statuspage webhooks carry no signature, so the token is in the path). */
export function redactUrl(url: string): string {
  return url.replace(/(\/api\/webhooks\/statuspage\/)[^/?#]+/, '$1[redacted]');
}

/** Structured JSON logs; every line names the process, and callers bind incident/workflow ids. */
export function createLogger(config: Config, processName: 'api' | 'worker' | 'dev' | 'cli', destination?: DestinationStream): Logger {
  return pino({
    level: config.logLevel,
    base: { process: processName },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
    },
  }, destination);
}
