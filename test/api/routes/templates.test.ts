/**
 * The template lifecycle through the REST API: draft → submitted → approved by someone else →
 * active, versions kept, only the active version used, every move on record; placeholders checked
 * and a preview on every save; an import adds versions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiToken } from '../../../db/api-tokens';
import { loadApprovedTemplates } from '../../../db/message-data';
import { approvedMessage } from '../../../domain/messages';
import { auth, startHarness, type Harness } from '../support/harness';
import { seedBase } from '../support/seed';
import { exampleIncident } from '../../helpers/incident';

// Two API tokens: two different people as far as the lifecycle is concerned.
const author = auth;
const reviewer = { authorization: 'Bearer second-token-abcdefghijklmnop' };

interface Version { key: string; version: number; state: string; body: string; subject: string | null; createdBy: string; submittedBy: string | null; approvedBy: string | null; approvedAt: string | null; supersededAt: string | null; returnReason: string | null }
interface Problem { status: number; detail: string; errors?: { path: string; message: string }[] }

describe('template lifecycle', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ temporal: 'down' });
    await seedBase(h.db);
  });
  after(async () => { await h?.close(); });

  const call = (method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string>, payload?: object) =>
    h.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const draft = (key: string, payload: object, headers = author) => call('POST', `/api/templates/${key}/versions`, headers, payload);
  const move = (key: string, version: number, name: string, headers: Record<string, string>, payload?: object) =>
    call('POST', `/api/templates/${key}/versions/${version}/${name}`, headers, payload);
  const versions = async (key: string) => (await call('GET', `/api/templates/${key}`, author)).json() as { activeVersion: number | null; versions: Version[] };
  const auditOf = async (key: string) => {
    const res = await call('GET', '/api/audit?limit=200', author);
    return (res.json() as { items: { action: string; target: string; actor: { id: string }; detail: { version?: number; superseded?: number } }[] }).items
      .filter((e) => e.target === key).reverse();
  };

  const p1 = {
    severity: 'P1', stage: 'investigating', channel: 'email', components: ['api-gateway'],
    subject: '{{incident.title}}: what it means for {{customer.name}}',
    body: "We're currently experiencing {{incident.title}} on {{customer.components}}. Updates: {{incident.statusPageUrl}}",
  };

  test('saving names an unknown placeholder (400) and refuses braces that are not a placeholder', async () => {
    const unknown = await draft('p1-bad', { body: 'Hello {{customer.nmae}}, {{incident.title}} is ongoing.' });
    assert.equal(unknown.statusCode, 400);
    const problem = unknown.json() as Problem;
    assert.match(problem.detail, /unknown placeholder \{\{customer\.nmae\}\}/);
    assert.deepEqual(problem.errors!.map((e) => e.path), ['body/body']);
    const subject = await draft('p1-bad', { channel: 'email', subject: 'About {{incident.name}}', body: 'Fine {{incident.title}}' });
    assert.equal(subject.statusCode, 400);
    assert.match((subject.json() as Problem).detail, /subject: unknown placeholder \{\{incident\.name\}\}/);
    const braces = await draft('p1-bad', { body: 'Dear {{ customer name }}, see {{incident.title' });
    assert.equal(braces.statusCode, 400);
    assert.equal((braces.json() as Problem).errors!.length, 2);
    const component = await draft('p1-bad', { components: ['warp-drive'], body: 'x' });
    assert.match((component.json() as Problem).detail, /unknown component "warp-drive"/);
    assert.equal((await call('GET', '/api/templates/p1-bad', author)).statusCode, 404, 'nothing was saved');
  });

  test('a draft is saved with a preview for the example incident and customer; only a draft can be edited', async () => {
    const res = await draft('p1-email', p1);
    assert.equal(res.statusCode, 201, res.body);
    const { version, preview } = res.json() as { version: Version; preview: { email: { subject: string; text: string }; slack?: string; example: { incident: string } } };
    assert.equal(version.version, 1);
    assert.equal(version.state, 'draft');
    assert.match(version.createdBy, /^API_TOKENS bootstrap token \(bootstrap:[0-9a-f]{12}\)$/);
    assert.equal(preview.example.incident, 'P1 API Latency Issues (API-2026-0129-001)');
    assert.equal(preview.email.subject, 'API Latency Issues: what it means for TechCorp');
    assert.match(preview.email.text, /^Hi Sam,\n\nWe're currently experiencing API Latency Issues on API Gateway\. Updates: https:\/\/status\.example\.com\/incidents\/abc\n/);
    assert.equal(preview.slack, undefined, 'an email template has no Slack preview');

    const edited = await call('PUT', '/api/templates/p1-email/versions/1', author, { ...p1, body: `${p1.body} Thank you.` });
    assert.equal(edited.statusCode, 200, edited.body);
    assert.match((edited.json() as { version: Version }).version.body, /Thank you\.$/);
    assert.equal((await draft('p1-email', p1)).statusCode, 409, 'one open version at a time');

    const preview2 = await call('POST', '/api/templates/preview', author, { stage: 'resolved', body: '{{incident.title}} was resolved after {{incident.duration}}.' });
    assert.equal(preview2.statusCode, 200);
    assert.equal((preview2.json() as { preview: { slack: string } }).preview.slack, 'API Latency Issues was resolved after 2 hours 15 minutes.');
  });

  test('submit, then approval by someone else makes it active; self-approval is refused; each move is on record', async () => {
    assert.equal((await move('p1-email', 1, 'approve', reviewer)).statusCode, 409, 'a draft cannot be approved');
    const submitted = await move('p1-email', 1, 'submit', author);
    assert.equal(submitted.statusCode, 200, submitted.body);
    assert.equal((submitted.json() as { version: Version }).version.state, 'submitted');
    assert.equal((await call('PUT', '/api/templates/p1-email/versions/1', author, p1)).statusCode, 409, 'a submitted version cannot change');
    assert.equal((await move('p1-email', 1, 'submit', author)).statusCode, 409);

    const self = await move('p1-email', 1, 'approve', author);
    assert.equal(self.statusCode, 403);
    assert.match((self.json() as Problem).detail, /someone other than the person who wrote or submitted it/);

    const approved = await move('p1-email', 1, 'approve', reviewer);
    assert.equal(approved.statusCode, 200, approved.body);
    const v1 = (approved.json() as { version: Version }).version;
    assert.equal(v1.state, 'active');
    assert.match(v1.approvedBy!, /bootstrap:/);
    assert.notEqual(v1.approvedBy, v1.createdBy);
    assert.ok(v1.approvedAt);

    const log = await auditOf('p1-email');
    assert.deepEqual(log.map((e) => [e.action, e.detail.version]), [
      ['template.drafted', 1], ['template.edited', 1], ['template.submitted', 1], ['template.approved', 1],
    ]);
    assert.notEqual(log[3]!.actor.id, log[2]!.actor.id, 'approved by another actor than the submitter');
  });

  test('a new version is used only once approved; the old one is superseded and kept; a return sends it back with the reason', async () => {
    const v2 = await draft('p1-email', { ...p1, body: 'Version two: {{incident.title}} for {{customer.name}}.' }, reviewer);
    assert.equal(v2.statusCode, 201, v2.body);
    assert.equal((v2.json() as { version: Version }).version.version, 2);

    const incident = exampleIncident();
    const customer = { name: 'TechCorp', segment: 'enterprise' as const };
    const used = async () => approvedMessage(await loadApprovedTemplates(h.db), { incident, customer }, { channel: 'email' });
    assert.deepEqual([(await used()).templateKey, (await used()).version], ['p1-email', 1], 'the draft is not used');

    assert.equal((await move('p1-email', 2, 'submit', reviewer)).statusCode, 200);
    const returned = await move('p1-email', 2, 'return', author, { reason: 'Say when the next update comes.' });
    assert.equal(returned.statusCode, 200, returned.body);
    assert.deepEqual([(returned.json() as { version: Version }).version.state, (returned.json() as { version: Version }).version.returnReason], ['draft', 'Say when the next update comes.']);
    assert.equal((await move('p1-email', 2, 'submit', reviewer)).statusCode, 200);
    assert.equal((await used()).version, 1, 'a submitted version is not used');
    assert.equal((await move('p1-email', 2, 'approve', author)).statusCode, 200, 'the author of v1 may approve the v2 someone else wrote');

    assert.equal((await used()).version, 2);
    assert.equal((await used()).text, 'Version two: API Latency Issues for TechCorp.');
    const { activeVersion, versions: all } = await versions('p1-email');
    assert.equal(activeVersion, 2);
    assert.deepEqual(all.map((v) => [v.version, v.state]), [[2, 'active'], [1, 'superseded']]);
    assert.ok(all[1]!.supersededAt);
    const approval = (await auditOf('p1-email')).find((e) => e.action === 'template.approved' && e.detail.version === 2);
    assert.equal(approval!.detail.superseded, 1);

    const list = (await call('GET', '/api/templates', author)).json() as { templates: { key: string; activeVersion: number; latest: Version }[] };
    assert.deepEqual(list.templates.map((t) => [t.key, t.activeVersion, t.latest.version]), [['p1-email', 2, 2]]);
  });

  test('an import adds versions instead of overwriting; the same import again changes nothing', async () => {
    const imp = (templates: object[]) => call('POST', '/api/import', author, { templates });
    const wording = { key: 'p1-email', severity: 'P1', status: 'investigating', channel: 'email', components: ['api-gateway'], body: 'Imported: {{incident.title}}.', approvedBy: 'comms@corp.example' };
    const first = await imp([wording, { key: 'any-resolved', status: 'resolved', body: '{{incident.title}} is resolved.' }]);
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual((first.json() as { counts: { templates: object } }).counts.templates, { inserted: 1, updated: 1, unchanged: 0 });
    const { versions: all } = await versions('p1-email');
    assert.deepEqual(all.map((v) => [v.version, v.state, v.approvedBy?.startsWith('comms') ?? null]), [[3, 'active', true], [2, 'superseded', false], [1, 'superseded', false]]);
    assert.equal(all[1]!.body, 'Version two: {{incident.title}} for {{customer.name}}.', 'the earlier version is kept as it was');
    const resolved = await versions('any-resolved');
    assert.deepEqual(resolved.versions.map((v) => [v.version, v.state]), [[1, 'submitted']], 'without an approver, an import awaits approval');
    assert.equal(resolved.activeVersion, null);

    const again = await imp([wording, { key: 'any-resolved', status: 'resolved', body: '{{incident.title}} is resolved.' }]);
    assert.deepEqual((again.json() as { counts: { templates: object } }).counts.templates, { inserted: 0, updated: 0, unchanged: 2 });
    const bad = await imp([{ key: 'x', body: 'Hi {{customer.nmae}}' }]);
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /customer\.nmae/);
  });

  test('a person cannot approve with a second token what they wrote; a manager who may not approve templates is refused', async () => {
    const person = async (email: string, name: string, isAdmin: boolean) => (await h.db.insertInto('people').values({ email, name, is_admin: isAdmin }).returning('id').executeTakeFirstOrThrow()).id;
    const bearer = async (personId: string, name: string) => ({ authorization: `Bearer ${(await createApiToken(h.db, { name, scopes: ['read', 'write'], personId, createdBy: 'test' })).token}` });
    const ada = await person('ada@corp.example', 'Ada Admin', true);
    const laptop = await bearer(ada, 'laptop');
    const phone = await bearer(ada, 'phone');
    assert.equal((await draft('ada-wording', { body: 'Ada: {{incident.title}}' }, laptop)).statusCode, 201);
    assert.equal((await move('ada-wording', 1, 'submit', laptop)).statusCode, 200);
    const own = await move('ada-wording', 1, 'approve', phone);
    assert.equal(own.statusCode, 403, 'the same person through another token');
    assert.match((own.json() as Problem).detail, /someone other than/);

    // Lee manages Ana (seeded): a CS manager, not allowed to approve templates until an admin says so.
    const lee = await bearer(await person('lee@corp.example', 'Lee Park', false), 'lee');
    const refused = await move('ada-wording', 1, 'approve', lee);
    assert.equal(refused.statusCode, 403);
    assert.match((refused.json() as Problem).detail, /may not approve message templates/);
    assert.equal((await versions('ada-wording')).activeVersion, null);
    assert.equal((await move('ada-wording', 1, 'approve', reviewer)).statusCode, 200, 'an admin token approves');
    const [approved] = (await versions('ada-wording')).versions;
    assert.match(approved!.createdBy, /Ada Admin|ada@corp\.example/);
  });

  test('bad input is a 4xx: unknown template, bad key, bad version, extra fields', async () => {
    assert.equal((await call('GET', '/api/templates/nope', author)).statusCode, 404);
    assert.equal((await move('nope', 1, 'submit', author)).statusCode, 404);
    assert.equal((await draft('Bad Key', { body: 'x' })).statusCode, 400);
    assert.equal((await move('p1-email', 0, 'submit', author)).statusCode, 400);
    assert.equal((await draft('p1-x', { body: 'x', approvedBy: 'me' })).statusCode, 400);
    assert.equal((await move('p1-email', 3, 'return', author, {})).statusCode, 400, 'a return needs its reason');
    assert.equal((await call('GET', '/api/templates', {})).statusCode, 401);
  });
});
