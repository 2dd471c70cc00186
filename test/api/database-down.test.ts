/**
 * Postgres unavailable, as an operator meets it: stopped (connections refused) or frozen (a server that
 * accepts connections and never answers). Webhooks answer 503 with Retry-After — never 500, never a
 * hang — REST routes 503, and both /health endpoints say which dependency is down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { createDb } from '../../db/connect';
import { probeDependencies } from '../../db/health';
import { startHealthServer } from '../../worker/health';
import { API_TOKEN, PD_SECRETS, auth, pagerdutySignature, testConfig } from './support/harness';

const pagerduty = JSON.stringify({
  event: {
    id: 'EVT-DB-DOWN', event_type: 'incident.triggered', resource_type: 'incident', occurred_at: '2026-02-01T10:00:00Z',
    data: { id: 'PDBDOWN', type: 'incident', title: 'Checkout errors', service: { id: 'PSVC', summary: 'API' }, urgency: 'high' },
  },
});

const generic = { id: 'INC-DB', title: 'Checkout errors', status: 'investigating', severity: 'P2', affectedComponents: ['api-gateway'], startedAt: '2026-02-01T10:00:00Z' };

/** A TCP server that accepts connections and never says a word: a frozen Postgres. */
async function frozenServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** A port nothing listens on: a stopped Postgres. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

for (const kind of ['stopped', 'frozen'] as const) {
  describe(`Postgres ${kind}`, () => {
    let app: FastifyInstance;
    let frozen: Awaited<ReturnType<typeof frozenServer>> | undefined;
    let db: ReturnType<typeof createDb>;
    let connection: Connection;
    before(async () => {
      let port: number;
      if (kind === 'frozen') {
        frozen = await frozenServer();
        port = frozen.port;
      } else {
        port = await closedPort();
      }
      db = createDb(`postgres://forewarn:forewarn@127.0.0.1:${port}/forewarn`, { connectTimeoutMs: 1000, queryTimeoutMs: 1500, statementTimeoutMs: 1000 });
      connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' });
      app = await buildApp({ config: testConfig(), db, temporal: new Client({ connection }) });
    });
    after(async () => {
      await app?.close();
      await Promise.allSettled([db?.destroy(), connection?.close(), frozen?.close()]);
    });

    test('webhooks answer 503 problem+json with Retry-After', async () => {
      const answers = await Promise.all([
        app.inject({ method: 'POST', url: '/api/webhooks/pagerduty', payload: pagerduty,
          headers: { 'content-type': 'application/json', 'x-pagerduty-signature': pagerdutySignature(pagerduty, PD_SECRETS) } }),
        app.inject({ method: 'POST', url: '/api/webhooks/incidents', payload: generic, headers: auth }),
      ]);
      for (const res of answers) {
        assert.equal(res.statusCode, 503, res.body);
        assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
        assert.ok(Number(res.headers['retry-after']) > 0, 'Retry-After tells the sender when to come back');
        assert.equal(res.json().status, 503);
      }
    });

    test('REST routes answer 503, not 500', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/incidents', headers: { authorization: `Bearer ${API_TOKEN}` } });
      assert.equal(res.statusCode, 503, res.body);
      assert.match(res.json().detail, /database/i);
    });

    test('/health says the database is unreachable, with 503', async () => {
      const res = await app.inject({ method: 'GET', url: '/health' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().database, 'unreachable');
      assert.equal(res.json().temporal, 'unreachable');
    });

    test('the worker\'s /health says so too', async () => {
      const server = startHealthServer(0, () => ({ status: 'ok' }));
      await new Promise((r) => server.once('listening', r));
      const probes: Promise<unknown>[] = [];
      server.probe(() => probeDependencies({ db, temporal: new Client({ connection }), track: (p) => probes.push(p) }));
      try {
        const res = await fetch(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/health`);
        assert.equal(res.status, 503);
        const body = await res.json() as Record<string, unknown>;
        assert.equal(body.status, 'degraded');
        assert.equal(body.database, 'unreachable');
      } finally {
        await new Promise((r) => server.close(r));
        await Promise.allSettled(probes);
      }
    });
  });
}
