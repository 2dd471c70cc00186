import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { loadConfig } from '../../config';
import { createLogger, redactUrl } from '../../config/logger';

test('the Statuspage webhook token never reaches the logs', async () => {
  assert.equal(redactUrl('/api/webhooks/statuspage/s3cret-token?x=1'), '/api/webhooks/statuspage/[redacted]?x=1');
  assert.equal(redactUrl('/api/incidents/abc'), '/api/incidents/abc');
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const logger = createLogger(loadConfig({ LOG_LEVEL: 'info' }), 'api', sink);
  const app = Fastify({ loggerInstance: logger });
  app.post('/api/webhooks/statuspage/:token', async () => ({ ok: true }));
  await app.inject({ method: 'POST', url: '/api/webhooks/statuspage/s3cret-token', payload: {} });
  await app.close();
  assert.ok(lines.some((l) => l.includes('[redacted]')), 'the request was logged');
  assert.ok(!lines.some((l) => l.includes('s3cret-token')), 'the token was not');
});
