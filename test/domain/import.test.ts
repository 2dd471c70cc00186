import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveReferences, validateImport, referencedValues } from '../../domain/import';
import { entityForCsvFile, recordsFromCsv, validateCsvFiles } from '../../domain/import-csv';

/** The example of the import format, as the foundation issue shows it. */
const example = () => ({
  csms: [{ email: 'Ana@Corp.example', name: 'Ana Ruiz', slackUserId: 'U024BE7LH', managerEmail: 'lee@corp.example' }],
  components: [{
    key: 'api-gateway', name: 'API Gateway',
    aliases: [{ source: 'pagerduty', externalId: 'PIJ90N7' }, { source: 'statuspage', externalId: '8kbf7d35c070' }],
  }],
  customers: [{
    externalId: 'acct-001', name: 'TechCorp', arr: 500000, segment: 'enterprise', region: 'us-east',
    csmEmail: 'ana@corp.example', contactName: 'Sam Lee', contactEmail: 'sam@techcorp.example',
    components: [{ key: 'api-gateway', usage: 'heavy', integrationDependent: true }],
  }],
  templates: [{
    key: 'p1-investigating', severity: 'P1', status: 'investigating', approvedBy: 'comms@corp.example',
    body: "We're currently experiencing {{incident.title}}. Our engineering team is actively investigating. We'll provide updates every 30 minutes.",
  }],
});

const paths = (errors: { path: string }[]) => errors.map((e) => e.path);
const messageAt = (errors: { path: string; message: string }[], path: string) => errors.find((e) => e.path === path)?.message;

describe('validateImport (JSON)', () => {
  test('accepts the documented example and normalizes it', () => {
    const v = validateImport(example());
    assert.deepEqual(v.errors, []);
    assert.deepEqual(v.unresolved, []);
    assert.deepEqual(v.data.csms, [{ email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'U024BE7LH', managerEmail: 'lee@corp.example', timeZone: null }]);
    assert.deepEqual(v.data.components[0], {
      key: 'api-gateway', name: 'API Gateway', ticketTags: [], ticketKeywords: [],
      aliases: [{ source: 'pagerduty', externalId: 'PIJ90N7' }, { source: 'statuspage', externalId: '8kbf7d35c070' }],
    });
    assert.deepEqual(v.data.customers[0]!.components, [{ key: 'api-gateway', usage: 'heavy', integrationDependent: true }]);
    assert.deepEqual(v.data.templates[0], {
      key: 'p1-investigating', severity: 'P1', status: 'investigating', components: [], body: example().templates[0]!.body,
      version: 1, segment: null, channel: null, subject: null, approvedBy: 'comms@corp.example', approvedAt: null,
    });
  });

  test('reports every error of a bad file with its path, not just the first', () => {
    const doc = example();
    Object.assign(doc.customers[0]!, { arr: -5, segment: 'Large', contactEmail: 'not-an-email' });
    doc.customers.push(
      { externalId: '', name: 'NoId', arr: '100' as unknown as number, segment: 'smb', region: 'eu-west', csmEmail: 'ana@corp.example', contactName: 'x', contactEmail: 'y@z.example', components: [] },
      { externalId: 'acct-001', name: 'Dup', arr: 1, segment: 'SMB', region: 'eu-west', csmEmail: 'ana@corp.example', contactName: 'x', contactEmail: 'y@z.example', components: [{ key: 'api-gateway', usage: 'extreme', integrationDependent: 'yes' as unknown as boolean }] },
    );
    (doc.customers[0] as Record<string, unknown>).ARR = 5;
    doc.csms[0]!.slackUserId = 'ana';
    doc.components[0]!.key = 'API Gateway';
    doc.templates[0]!.severity = 'P9';
    const v = validateImport(doc);
    assert.deepEqual(paths(v.errors), [
      'csms[0].slackUserId',
      'components[0].key',
      'customers[0].ARR',
      'customers[0].arr',
      'customers[0].segment',
      'customers[0].contactEmail',
      'customers[1].externalId',
      'customers[1].arr',
      'customers[2].components[0].usage',
      'customers[2].components[0].integrationDependent',
      'customers[2].externalId',
      'templates[0].severity',
    ]);
    assert.equal(messageAt(v.errors, 'customers[0].arr'), 'must be a non-negative number (annual recurring revenue), got -5');
    assert.equal(messageAt(v.errors, 'customers[0].segment'), 'must be one of enterprise, mid-market, smb, got "Large"');
    assert.equal(messageAt(v.errors, 'customers[1].externalId'), 'is required');
    assert.equal(messageAt(v.errors, 'customers[1].arr'), 'must be a non-negative number (annual recurring revenue), got "100"');
    assert.equal(messageAt(v.errors, 'customers[2].externalId'), 'duplicates customers[0].externalId (same externalId)');
    assert.match(messageAt(v.errors, 'customers[0].ARR')!, /is not a known field \(known: externalId, name, arr/);
    // The component key was renamed, so the customers' references to api-gateway are now open.
    assert.deepEqual(v.unresolved.map((r) => r.path), ['customers[0].components[0].key']);
    // Only valid records are kept, and nothing with an error is imported anyway.
    assert.equal(v.data.customers.length, 0);
  });

  test('canonicalizes case-insensitive enumerations and trims text', () => {
    const doc = example();
    Object.assign(doc.customers[0]!, { segment: 'Enterprise', name: '  TechCorp  ' });
    doc.templates[0]!.severity = 'p1';
    doc.templates[0]!.status = 'Investigating';
    const v = validateImport(doc);
    assert.deepEqual(v.errors, []);
    assert.equal(v.data.customers[0]!.segment, 'enterprise');
    assert.equal(v.data.customers[0]!.name, 'TechCorp');
    assert.equal(v.data.templates[0]!.severity, 'P1');
    assert.equal(v.data.templates[0]!.status, 'investigating');
  });

  test('rejects documents that are not the import format', () => {
    assert.deepEqual(validateImport([1, 2]).errors, [{ path: '(document)', message: 'must be a JSON object with any of csms, components, customers, templates, usage, got an array' }]);
    assert.deepEqual(paths(validateImport({ accounts: [] }).errors), ['accounts', '(document)']);
    const v = validateImport({ customers: { externalId: 'a' }, csms: [null, 'x'] });
    assert.deepEqual(v.errors, [
      { path: 'customers', message: 'must be an array, got an object' },
      { path: 'csms[0]', message: 'must be an object, got null' },
      { path: 'csms[1]', message: 'must be an object, got "x"' },
    ]);
  });

  test('an alias maps to one component only, and a customer lists a component once', () => {
    const v = validateImport({
      components: [
        { key: 'api', name: 'API', aliases: [{ source: 'pagerduty', externalId: 'P1' }] },
        { key: 'web', name: 'Web', aliases: [{ source: 'PagerDuty', externalId: 'P1' }, { source: 'jira', externalId: 'X' }] },
      ],
      customers: [{ externalId: 'c1', name: 'C', arr: 0, segment: 'smb', region: 'eu', components: [{ key: 'api', usage: 'light' }, { key: 'api', usage: 'heavy' }] }],
    });
    assert.deepEqual(v.errors, [
      { path: 'components[1].aliases[0].externalId', message: 'duplicates components[0].aliases[0].externalId (same pagerduty id "P1")' },
      { path: 'components[1].aliases[1].source', message: 'must be one of pagerduty, opsgenie, statuspage, support, generic, got "jira"' },
      { path: 'customers[0].components[1].key', message: 'duplicates customers[0].components[0].key (component "api" listed twice)' },
    ]);
  });

  test('templates: placeholders must be ones Forewarn fills, and an approval names its approver', () => {
    const v = validateImport({
      templates: [
        { key: 'a', body: 'Hello {{customer.name}}, about {{incident.title}}.' },
        { key: 'b', body: 'About {{incident.tittle}} and {{ incident_title }} and {{incident.title}', version: 0 },
        { key: 'c', body: 'ok', approvedAt: '2026-01-01T00:00:00Z' },
        { key: 'd', body: 'ok', approvedBy: 'x@corp.example', approvedAt: 'yesterday', components: ['api-gateway', 'Bad Key'] },
      ],
    });
    assert.deepEqual(v.errors, [
      { path: 'templates[1].body', message: 'has a malformed placeholder "{{ incident_title }}" (use names like {{incident.title}})' },
      { path: 'templates[1].body', message: 'uses the placeholder {{incident.tittle}}, which Forewarn cannot fill (known ones are like {{incident.title}}, {{incident.statusPageUrl}}, {{customer.name}})' },
      { path: 'templates[1].body', message: 'has an unclosed "{{" or a stray "}}"' },
      { path: 'templates[1].version', message: 'must be a whole number of at least 1, got 0' },
      { path: 'templates[2].approvedAt', message: 'needs approvedBy: an approval names who approved' },
      { path: 'templates[3].components[1]', message: 'must be a component key, got "Bad Key"' },
      { path: 'templates[3].approvedAt', message: 'must be an ISO 8601 timestamp with a time zone (like "2026-01-29T14:00:00Z"), got "yesterday"' },
    ]);
    assert.deepEqual(v.unresolved, [{ kind: 'component', value: 'api-gateway', path: 'templates[3].components[0]' }]);
  });

  test('usage rows: on the hour, whole requests, one row per customer, component and hour', () => {
    const v = validateImport({
      usage: [
        { customerExternalId: 'c1', componentKey: 'api', hour: '2026-01-29T10:00:00+01:00', requests: 10 },
        { customerExternalId: 'c1', componentKey: 'api', hour: '2026-01-29T09:00:00Z', requests: 3 },
        { customerExternalId: 'c1', componentKey: 'api', hour: '2026-01-29T09:30:00Z', requests: 1.5 },
      ],
    });
    assert.deepEqual(v.errors, [
      { path: 'usage[1]', message: 'duplicates usage[0] (same customer, component and hour)' },
      { path: 'usage[2].hour', message: 'must be on the hour (usage is counted per hour), got "2026-01-29T09:30:00.000Z"' },
      { path: 'usage[2].requests', message: 'must be a non-negative whole number, got 1.5' },
    ]);
    assert.equal(v.data.usage[0]!.hour, '2026-01-29T09:00:00.000Z');
  });

  test('references the file does not define are checked against what the database has', () => {
    const v = validateImport({
      customers: [
        { externalId: 'c1', name: 'C1', arr: 1, segment: 'smb', region: 'eu', csmEmail: 'bob@corp.example', components: [{ key: 'api', usage: 'light' }, { key: 'web', usage: 'heavy' }] },
        { externalId: 'c2', name: 'C2', arr: 1, segment: 'smb', region: 'eu', csmEmail: 'bob@corp.example' },
      ],
      usage: [{ customerExternalId: 'c9', componentKey: 'api', hour: '2026-01-29T09:00:00Z', requests: 1 }],
    });
    assert.deepEqual(v.errors, []);
    assert.deepEqual(referencedValues(v.unresolved), { csm: ['bob@corp.example'], component: ['api', 'web'], customer: ['c9'] });
    const errors = resolveReferences(v.unresolved, { csm: new Set(), component: new Set(['api']), customer: new Set(['c9']) });
    assert.deepEqual(errors, [
      { path: 'customers[0].csmEmail', message: 'no CSM with email "bob@corp.example" in this import or in the database' },
      { path: 'customers[0].components[1].key', message: 'no component with key "web" in this import or in the database' },
      { path: 'customers[1].csmEmail', message: 'no CSM with email "bob@corp.example" in this import or in the database' },
    ]);
  });
});

describe('CSV import', () => {
  test('entity comes from the file name', () => {
    assert.equal(entityForCsvFile('exports/customers.csv'), 'customers');
    assert.equal(entityForCsvFile('acme-CSMS.csv'), 'csms');
    assert.equal(entityForCsvFile('accounts.csv'), undefined);
  });

  test('parses every entity into the same shape as JSON, headers in any spelling', () => {
    const v = validateCsvFiles([
      { name: 'csms.csv', text: 'Email,Name,Slack User ID,manager_email,time_zone\nana@corp.example,Ana Ruiz,U024BE7LH,lee@corp.example,America/New_York\n' },
      { name: 'components.csv', text: 'key,name,aliases,ticket_tags,ticket_keywords\napi-gateway,API Gateway,pagerduty:PIJ90N7;statuspage:8kbf7d35c070,API;gateway,"timeout; 502"\n' },
      { name: 'customers.csv', text: 'external_id,name,arr,segment,region,csm_email,contact_name,contact_email,components\n'
        + 'acct-001,"TechCorp, Inc.",500000,enterprise,us-east,ana@corp.example,Sam Lee,sam@techcorp.example,api-gateway:heavy:integration\n'
        + 'acct-002,SmallBiz,2500.50,smb,us-west,,,,\n' },
      { name: 'templates.csv', text: 'key,severity,status,components,body,version,approved_by,approved_at\n'
        + 'p1-investigating,P1,investigating,api-gateway,"We\'re currently experiencing {{incident.title}}.\nUpdates every 30 minutes.",2,comms@corp.example,2026-01-15T10:00:00Z\n' },
      { name: 'usage.csv', text: 'customer_external_id,component_key,hour,requests\nacct-001,api-gateway,2026-01-29T09:00:00Z,1200\n' },
    ]);
    assert.deepEqual(v.errors, []);
    assert.deepEqual(v.unresolved, []);
    assert.deepEqual(v.data.csms, [{ email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'U024BE7LH', managerEmail: 'lee@corp.example', timeZone: 'America/New_York' }]);
    assert.deepEqual(v.data.components, [{
      key: 'api-gateway', name: 'API Gateway', ticketTags: ['api', 'gateway'], ticketKeywords: ['timeout', '502'],
      aliases: [{ source: 'pagerduty', externalId: 'PIJ90N7' }, { source: 'statuspage', externalId: '8kbf7d35c070' }],
    }]);
    assert.deepEqual(v.data.customers, [
      {
        externalId: 'acct-001', name: 'TechCorp, Inc.', arr: 500000, segment: 'enterprise', region: 'us-east', csmEmail: 'ana@corp.example',
        contactName: 'Sam Lee', contactEmail: 'sam@techcorp.example', components: [{ key: 'api-gateway', usage: 'heavy', integrationDependent: true }],
      },
      // An empty components cell means "no components"; empty optional cells are absent.
      { externalId: 'acct-002', name: 'SmallBiz', arr: 2500.5, segment: 'smb', region: 'us-west', csmEmail: null, contactName: null, contactEmail: null, components: [] },
    ]);
    assert.deepEqual(v.data.templates[0]!.components, ['api-gateway']);
    assert.equal(v.data.templates[0]!.body, "We're currently experiencing {{incident.title}}.\nUpdates every 30 minutes.");
    assert.equal(v.data.templates[0]!.version, 2);
    assert.deepEqual(v.data.usage, [{ customerExternalId: 'acct-001', componentKey: 'api-gateway', hour: '2026-01-29T09:00:00.000Z', requests: 1200 }]);
  });

  test('without a components column, customers keep their stored components', () => {
    const v = validateCsvFiles([{ name: 'customers.csv', text: 'external_id,name,arr,segment,region\nacct-1,A,1,smb,eu\n' }]);
    assert.deepEqual(v.errors, []);
    assert.equal('components' in v.data.customers[0]!, false);
  });

  test('errors name the file, the row and the column; every bad row is reported', () => {
    const text = [
      'external_id,name,arr,segment,region,csm_email,components',
      'acct-1,Good,100,smb,eu,ana@corp.example,api:heavy',
      'acct-2,"Multi',
      'line name",abc,smb,eu,,api:extreme;web',
      'acct-3,Short,1',
      'acct-1,Dup,5,Huge,eu,bob,api:light:maybe',
    ].join('\n');
    const v = validateCsvFiles([{ name: 'customers.csv', text }]);
    assert.deepEqual(v.errors, [
      // Row 3 holds a quoted name over two lines: its errors name the row it starts on.
      { path: 'customers.csv row 3, column components, entry 2', message: 'must look like key:usage or key:usage:integration (like "api-gateway:heavy:integration"), got "web"' },
      { path: 'customers.csv row 5', message: 'has 3 fields but the header has 7' },
      { path: 'customers.csv row 6, column components, entry 1', message: 'ends in "maybe": the third part must be "integration" (or yes/no)' },
      { path: 'customers.csv row 3, column arr', message: 'must be a non-negative number (annual recurring revenue), got "abc"' },
      { path: 'customers.csv row 3, column components, entry 1 usage', message: 'must be one of heavy, moderate, light, got "extreme"' },
      { path: 'customers.csv row 6, column segment', message: 'must be one of enterprise, mid-market, smb, got "Huge"' },
      { path: 'customers.csv row 6, column csm_email', message: 'must be an email address, got "bob"' },
      { path: 'customers.csv row 6, column external_id', message: 'duplicates customers.csv row 2, column external_id (same externalId)' },
    ]);
  });

  test('header problems: unknown and missing columns are reported once, not per row', () => {
    const r = recordsFromCsv({ name: 'customers.csv', text: 'external_id,name,ARR,tier\na,b,1,gold\nc,d,2,gold\n' });
    assert.deepEqual(r.errors, [
      { path: 'customers.csv row 1, column tier', message: 'is not a known column of customers.csv (known: externalId, name, arr, segment, region, csmEmail, contactName, contactEmail, components)' },
      { path: 'customers.csv row 1', message: 'is missing the columns segment, region' },
    ]);
    assert.deepEqual(r.records, []);
    assert.deepEqual(recordsFromCsv({ name: 'customers.csv', text: '' }).errors, [{ path: 'customers.csv', message: 'is empty: expected a header row and one row per record' }]);
    assert.deepEqual(recordsFromCsv({ name: 'people.csv', text: 'a\n1\n' }).errors, [
      { path: 'people.csv', message: 'cannot tell what the file holds: name it csms.csv, components.csv, customers.csv, templates.csv, usage.csv' },
    ]);
  });

  test('broken quoting is reported with its row', () => {
    const r = recordsFromCsv({ name: 'csms.csv', text: 'email,name\na@corp.example,"Ana" Ruiz\nb@corp.example,Bob\n' });
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.path, 'csms.csv row 2');
    assert.match(r.errors[0]!.message, /^is not valid CSV: Invalid Closing Quote/);
  });

  test('customers.csv may name CSMs and components defined in the other CSV files', () => {
    const v = validateCsvFiles([
      { name: 'customers.csv', text: 'external_id,name,arr,segment,region,csm_email,components\nacct-1,A,1,smb,eu,ana@corp.example,api:heavy;web:light\n' },
      { name: 'csms.csv', text: 'email,name\nana@corp.example,Ana\n' },
      { name: 'components.csv', text: 'key,name\napi,API\n' },
    ]);
    assert.deepEqual(v.errors, []);
    assert.deepEqual(v.unresolved, [{ kind: 'component', value: 'web', path: 'customers.csv row 2, column components, entry 2 key' }]);
  });
});
