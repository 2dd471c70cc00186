import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatArr } from '../../domain/money';
import {
  renderCsmMessage, limitProblems, approvedMessage, rankTemplates, renderTemplate, parseAction, parseCustomerAction, warRoomChannelName,
  renderWarRoomSummary, SLACK_LIMITS, CUSTOMER_MENU_ACTION_ID, customerOptionValue, sliceFor, affectedChangeLines, csmCustomersUrl,
  type CsmMessageInput, type MessageCustomer, type MessageTemplate, type SlackMessage, type Block,
} from '../../domain/messages';
import { renderCustomerEmail } from '../../domain/messages/email';
import { buildRawEmail, rawEmailBase64Url, isValidEmailAddress, InvalidAddressError } from '../../domain/messages/rfc2822';
import { formatDuration, formatClockTime } from '../../domain/messages/format';
import { customerList, customerListBlocks } from '../../domain/messages/customer-list';
import { exampleIncident } from '../helpers/incident';

const incident = exampleIncident();
const componentNames = { 'api-gateway': 'API Gateway', 'data-pipeline': 'Data Processing Pipeline' };

function customer(rank: number, name: string, arr: number, impactLevel: MessageCustomer['impactLevel'], reason: string): MessageCustomer {
  return { id: `c${rank}`, name, arr, impactLevel, reason, priorityRank: rank, componentNames: ['API Gateway'], contactName: `${name} Contact`, contactEmail: `ops@${name.toLowerCase()}.example` };
}

const productCustomers: MessageCustomer[] = [
  customer(1, 'TechCorp', 500_000, 'high', 'Heavy API user'),
  customer(2, 'GlobalInc', 350_000, 'high', 'Integration-dependent'),
  customer(3, 'DataFlow', 200_000, 'medium', 'Moderate impact'),
  customer(4, 'StartupXYZ', 50_000, 'medium', 'Moderate impact'),
  customer(5, 'SmallBiz', 25_000, 'low', 'Low impact'),
];

const approvedAt = '2026-01-01T00:00:00.000Z';
function template(t: Partial<MessageTemplate> & { key: string; body: string }): MessageTemplate {
  return { severity: null, status: null, components: [], version: 1, approvedBy: 'comms@corp.example', approvedAt, ...t };
}
const templates: MessageTemplate[] = [
  template({ key: 'p1-investigating', severity: 'P1', status: 'investigating', body: "We're currently experiencing elevated API latency. Our engineering team is actively investigating. We'll provide updates every 30 minutes." }),
  template({ key: 'any-resolved', status: 'resolved', body: '{{incident.title}} has been resolved. Thank you for your patience.' }),
];

function input(overrides: Partial<CsmMessageInput> = {}): CsmMessageInput {
  const approved = approvedMessage(templates, { incident, componentNames }, { audience: 'csm' });
  return {
    incident,
    recipient: { name: 'Ana Ruiz', email: 'ana@corp.example' },
    customers: productCustomers,
    totals: { customers: 42, arrAtRisk: 9_500_000, businessImpact: 1234, highImpact: 12 },
    dashboardUrl: 'http://127.0.0.1:3000/dashboard',
    approved,
    componentNames,
    timeZone: 'America/New_York',
    customerLimit: 10,
    now: '2026-01-29T19:31:00.000Z',
    ...overrides,
  };
}

function buttons(message: SlackMessage): { label: string; action_id: string; value?: string; url?: string }[] {
  return message.blocks.flatMap((b: Block) => (b.type === 'actions' ? b.elements.map((e) => ({ label: e.text.text, action_id: e.action_id, value: e.value, url: e.url })) : []));
}

/** Each customer line that has the "…" menu beside it, with what a choice of each option sends back. */
function customerMenus(message: SlackMessage): { line: string; options: { label: string; parsed: ReturnType<typeof parseCustomerAction> }[] }[] {
  return message.blocks.flatMap((b: Block) => (b.type === 'section' && b.accessory ? [{
    line: b.text.text,
    // What Slack posts for an overflow choice: the menu's action_id and the selected option.
    options: b.accessory.options.map((o) => ({ label: o.text.text, parsed: parseCustomerAction({ action_id: b.accessory!.action_id, selected_option: o }) })),
  }] : []));
}

/** The numbered customer lines of a message's blocks ("3. :warning: *DataFlow* - …"). */
function listedLines(message: SlackMessage): string[] {
  return allText(message).split('\n').filter((l) => /^\d+\. /.test(l));
}

function allText(message: SlackMessage): string {
  return message.blocks.map((b) => {
    if (b.type === 'header' || b.type === 'section') return b.text.text;
    if (b.type === 'context') return b.elements.map((e) => e.text).join(' ');
    return '';
  }).join('\n');
}

describe('alert', () => {
  test('reads like the product alert, a fact a line, in the CSM time zone (the exact spec text: spec-layouts.test.ts)', () => {
    const message = renderCsmMessage('alert', input());
    assert.equal(message.text, [
      ':rotating_light: P1 INCIDENT: API Latency Issues',
      '',
      'Incident: API-2026-0129-001',
      'Status: Investigating',
      'Started: 2:30 PM EST',
      '',
      'Affected Components:',
      '• API Gateway',
      '• Data Processing Pipeline',
      '',
      'Your Affected Customers (5):',
      '1. :rotating_light: TechCorp - $500K ARR - Heavy API user',
      '2. :rotating_light: GlobalInc - $350K ARR - Integration-dependent',
      '3. :warning: DataFlow - $200K ARR - Moderate impact',
      '4. :warning: StartupXYZ - $50K ARR - Moderate impact',
      '5. :large_blue_circle: SmallBiz - $25K ARR - Low impact',
      '',
      'Total ARR at Risk: $1.125M',
      '',
      'Approved Messaging:',
      '"We\'re currently experiencing elevated API latency. Our engineering team is actively investigating. We\'ll provide updates every 30 minutes."',
    ].join('\n'));
    assert.deepEqual(message.blocks[0], { type: 'header', text: { type: 'plain_text', text: ':rotating_light: P1 INCIDENT: API Latency Issues', emoji: true } });
    const text = allText(message);
    assert.match(text, /\*Incident:\* API-2026-0129-001\n\*Status:\* Investigating\n\*Started:\* 2:30 PM EST/);
    assert.match(text, /\*Your Affected Customers \(5\):\*\n1\. :rotating_light: \*TechCorp\* - \$500K ARR - Heavy API user/);
    assert.match(text, /\*Total ARR at Risk:\* \$1\.125M/);
    assert.match(text, /Approved template p1-investigating v1/);
    assert.deepEqual(limitProblems(message), []);
  });

  test('offers the four buttons, each carrying the workflow id the API routes on', () => {
    const b = buttons(renderCsmMessage('alert', input()));
    assert.deepEqual(b.map((x) => x.label), ['View Status Page', 'Draft Customer Emails', 'Join War Room', 'Acknowledge']);
    assert.deepEqual(b.map((x) => x.action_id), ['forewarn:view_status_page', 'forewarn:draft_customer_emails', 'forewarn:join_war_room', 'forewarn:acknowledge']);
    for (const x of b) assert.deepEqual(parseAction(x), { action: x.action_id.slice('forewarn:'.length), workflowId: incident.workflowId });
    assert.equal(b[0].url, incident.statusPageUrl);
    assert.equal(parseAction({ action_id: 'someone_else', value: 'x' }), null);
  });

  test('P3 has no war room button and start time is UTC without a known zone', () => {
    const message = renderCsmMessage('alert', input({ incident: { ...incident, severity: 'P3' }, timeZone: undefined }));
    assert.ok(!buttons(message).some((b) => b.label === 'Join War Room'));
    assert.match(message.text, /\nStarted: 7:30 PM UTC\n/);
    assert.match(message.text, /^:large_yellow_circle: P3 INCIDENT/);
  });

  test('the slice lists only customers still affected, in priority order, whatever order they arrive in', () => {
    const shuffled = [productCustomers[3], { ...productCustomers[4], stillAffected: false }, productCustomers[0], productCustomers[2], { ...productCustomers[1], impactLevel: 'none' as const }];
    const slice = sliceFor('alert', shuffled, 10);
    const message = renderCsmMessage('alert', input({ customers: slice.customers, mine: slice.totals }));
    const names = message.text.split('\n').filter((l) => /^\d+\. /.test(l)).map((l) => l.split(' ')[2]);
    assert.deepEqual(names, ['TechCorp', 'DataFlow', 'StartupXYZ']);
    assert.match(message.text, /Your Affected Customers \(3\):/);
    assert.match(message.text, /Total ARR at Risk: \$750K/);
  });

  test('given only the first customers and the totals of all, it lists those and counts the rest, linking to the CSM\'s list', () => {
    // What the Slack activity reads from Postgres for a CSM with 1,000 affected customers: the top 3 and the totals.
    const listUrl = csmCustomersUrl('http://127.0.0.1:3000/dashboard', incident.id, 'ana@corp.example');
    assert.equal(listUrl, `http://127.0.0.1:3000/dashboard#/incidents/${incident.id}?csm=ana%40corp.example`);
    const message = renderCsmMessage('alert', input({
      customers: productCustomers.slice(0, 3), mine: { customers: 1000, arr: 51_050_000, highImpact: 100, highArr: 30_000_000 }, customerLimit: 3, listUrl,
    }));
    assert.match(message.text, /Your Affected Customers \(1000\):\n1\. .*TechCorp.*\n2\. .*GlobalInc.*\n3\. .*DataFlow/);
    assert.match(message.text, /…and 997 more \(\$50M ARR\): http:\/\/127\.0\.0\.1:3000\/dashboard#\/incidents\/[^?]+\?csm=ana%40corp\.example/);
    assert.match(message.text, /Total ARR at Risk: \$51\.05M/);
    assert.ok(allText(message).includes(`<${listUrl}|See every affected customer in the dashboard>`));
    assert.deepEqual(limitProblems(message), []);
    for (const kind of ['update', 'follow_up', 'escalation'] as const) {
      const m = renderCsmMessage(kind, input({ customers: productCustomers.slice(0, 2), mine: { customers: 40, arr: 9_000_000, highImpact: 12, highArr: 5_000_000 }, customerLimit: 2, listUrl }));
      assert.ok(allText(m).includes(`|See`) && allText(m).includes(listUrl), `${kind} links to the CSM's list`);
      assert.deepEqual(limitProblems(m), [], kind);
    }
    const esc = renderCsmMessage('escalation', input({ customers: productCustomers.slice(0, 2), mine: { customers: 40, arr: 9_000_000, highImpact: 12, highArr: 5_000_000 }, customerLimit: 2 }));
    assert.match(esc.text, /contacted any of their 12 high-impact customers \(\$5M ARR\)/);
    assert.match(esc.text, /…and 10 more/);
    const reminder = renderCsmMessage('update_reminder', input({ customers: [], mine: { customers: 40, arr: 9_000_000, highImpact: 12, highArr: 5_000_000 } }));
    assert.match(reminder.text, /your 12 high-impact customers/);
    const resolved = renderCsmMessage('resolution', input({ customers: [], mine: { customers: 40, arr: 9_000_000, highImpact: 12, highArr: 5_000_000 } }));
    assert.match(resolved.text, /Affected Customers: 40/);
  });

  test('each kind of message is about its own list: affected now, everyone ever affected, or high impact still owed a call', () => {
    const cleared = { ...productCustomers[4], stillAffected: false };
    const answered = { ...productCustomers[0], outreachStatus: 'responded' as const };
    const owed = { ...productCustomers[1], outreachStatus: 'sent' as const };
    const list = [answered, owed, productCustomers[2], productCustomers[3], cleared];
    const ids = (kind: Parameters<typeof sliceFor>[0]) => sliceFor(kind, list, 10).customers.map((c) => c.name);
    assert.deepEqual(ids('alert'), ['TechCorp', 'GlobalInc', 'DataFlow', 'StartupXYZ']);
    assert.deepEqual(ids('resolution'), ['TechCorp', 'GlobalInc', 'DataFlow', 'StartupXYZ']);
    assert.deepEqual(ids('post_mortem'), ['TechCorp', 'GlobalInc', 'DataFlow', 'StartupXYZ', 'SmallBiz']);
    assert.deepEqual(ids('follow_up'), ['GlobalInc']);
    assert.deepEqual(sliceFor('post_mortem', list, 2).totals, { customers: 5, arr: 1_125_000, highImpact: 2, highArr: 850_000 });
    const escalation = sliceFor('escalation', [productCustomers[2], { ...productCustomers[3], impactLevel: 'high' as const }], 10);
    assert.deepEqual(escalation.customers.map((c) => c.name), ['StartupXYZ', 'DataFlow'], 'high impact first');
  });

  test('an update names the customers a re-analysis added or dropped, capped with a count', () => {
    assert.deepEqual(affectedChangeLines({ names: ['A', 'B'], count: 2 }, { names: ['C'], count: 1 }), ['Now also affected: A and B', 'No longer affected: C']);
    assert.deepEqual(affectedChangeLines({ names: [], count: 0 }, undefined), []);
    const many = Array.from({ length: 10 }, (_, i) => `N${i}`);
    assert.deepEqual(affectedChangeLines({ names: many, count: 250 }), [`Now also affected: ${many.join(', ')} and 240 more`]);
  });

  test('user text cannot inject Slack mentions or links', () => {
    const evil = customer(1, '<!channel> Evil & Co', 1000, 'high', '<https://phish.example|click>');
    const text = allText(renderCsmMessage('alert', input({ customers: [evil] })));
    assert.ok(!text.includes('<!channel>'));
    assert.ok(!text.includes('<https://phish.example'));
    assert.match(text, /&lt;!channel&gt; Evil &amp; Co/);
  });

  test('every listed customer has a menu to mark them contacted or responded, naming the incident and the customer', () => {
    const message = renderCsmMessage('alert', input());
    const menus = customerMenus(message);
    assert.deepEqual(menus.map((m) => m.line), listedLines(message), 'one menu per listed customer, beside its own line');
    menus.forEach((menu, i) => {
      const c = productCustomers[i];
      assert.ok(menu.line.includes(`*${c.name}*`));
      assert.deepEqual(menu.options, [
        { label: 'Mark contacted', parsed: { action: 'mark_contacted', incidentId: incident.id, customerId: c.id, status: 'sent' } },
        { label: 'Mark responded', parsed: { action: 'mark_responded', incidentId: incident.id, customerId: c.id, status: 'responded' } },
      ]);
    });
    assert.deepEqual(limitProblems(message), []);
  });

  test('per-customer values read back exactly; foreign or malformed choices are ignored', () => {
    const id = '6f1c2a9e-0d4b-4f8e-9a57-1b2c3d4e5f60';
    const odd = 'incident:generic:ops|2026 #7';
    assert.deepEqual(parseCustomerAction({ action_id: CUSTOMER_MENU_ACTION_ID, selected_option: { value: customerOptionValue('mark_responded', incident.id, id) } }),
      { action: 'mark_responded', incidentId: incident.id, customerId: id, status: 'responded' });
    assert.deepEqual(parseCustomerAction({ action_id: 'forewarn:mark_contacted', value: `${incident.id}|${id}` }),
      { action: 'mark_contacted', incidentId: incident.id, customerId: id, status: 'sent' }, 'the button form of the same action');
    // Menus posted before named the incident by workflow id: still understood, even with a "|" inside.
    assert.deepEqual(parseCustomerAction({ action_id: CUSTOMER_MENU_ACTION_ID, selected_option: { value: `mark_responded|${odd}|${id}` } }),
      { action: 'mark_responded', workflowId: odd, customerId: id, status: 'responded' });
    assert.deepEqual(parseCustomerAction({ action_id: 'forewarn:mark_contacted', value: `${odd}|${id}` }),
      { action: 'mark_contacted', workflowId: odd, customerId: id, status: 'sent' });
    for (const element of [
      { action_id: CUSTOMER_MENU_ACTION_ID, selected_option: { value: `acknowledge|${odd}|${id}` } },
      { action_id: CUSTOMER_MENU_ACTION_ID, selected_option: { value: `toString|${odd}|${id}` } },
      { action_id: CUSTOMER_MENU_ACTION_ID, selected_option: { value: `mark_responded|${id}` } },
      { action_id: CUSTOMER_MENU_ACTION_ID, selected_option: { value: `mark_responded|${odd}|` } },
      { action_id: CUSTOMER_MENU_ACTION_ID, selected_option: null },
      { action_id: CUSTOMER_MENU_ACTION_ID },
      { action_id: 'someone_else', selected_option: { value: `mark_responded|${odd}|${id}` } },
      { action_id: 'forewarn:acknowledge', value: incident.workflowId },
    ]) assert.equal(parseCustomerAction(element), null, JSON.stringify(element));
    assert.equal(parseAction({ action_id: CUSTOMER_MENU_ACTION_ID, selected_option: { value: `mark_responded|${odd}|${id}` } }), null);
  });

  test('a list given fewer blocks than customers keeps every line: the first ones with a menu, the rest packed', () => {
    const list = customerList(productCustomers, 10);
    const blocks = customerListBlocks(list, incident.id, 3);
    assert.equal(blocks.length, 3);
    const message = { text: '', blocks };
    assert.deepEqual(listedLines(message).map((l) => l.split(' ')[2]), ['*TechCorp*', '*GlobalInc*', '*DataFlow*', '*StartupXYZ*', '*SmallBiz*']);
    assert.deepEqual(customerMenus(message).map((m) => m.options[0].parsed?.customerId), ['c1', 'c2']);
  });

  test('an incident with a long workflow id keeps its per-customer menus, and Slack still accepts the alert', () => {
    const long = { ...incident, workflowId: `incident:generic:${'x'.repeat(200)}`, externalId: 'x'.repeat(200) };
    const customerId = '7d0f5c0e-1f63-4b9a-8b8f-2f6a1c9d4e22';
    const message = renderCsmMessage('alert', input({ incident: long, customers: productCustomers.map((c, i) => ({ ...c, id: customerId.slice(0, -1) + i })) }));
    const menus = customerMenus(message);
    assert.equal(menus.length, 5);
    assert.deepEqual(menus[0].options[1].parsed, { action: 'mark_responded', incidentId: incident.id, customerId: `${customerId.slice(0, -1)}0`, status: 'responded' });
    assert.equal(listedLines(message).length, 5);
    assert.deepEqual(limitProblems(message), []);
  });

  test('200 customers stay within Slack limits: top 10, a dashboard link, totals over all 200', () => {
    const many = Array.from({ length: 200 }, (_, i) =>
      customer(i + 1, `Customer ${String(i + 1).padStart(3, '0')} ${'x'.repeat(100)}`, 10_000 * (200 - i), i < 50 ? 'high' : i < 120 ? 'medium' : 'low', `Heavy API Gateway user ${'y'.repeat(200)}`));
    const expectedTotal = formatArr(many.reduce((s, c) => s + c.arr, 0));
    for (const limit of [10, 40]) {
      const message = renderCsmMessage('alert', input({ customers: many, customerLimit: limit }));
      assert.deepEqual(limitProblems(message), [], `limit ${limit}`);
      assert.ok(message.blocks.length <= SLACK_LIMITS.blocks);
      const text = allText(message);
      assert.match(text, /Your Affected Customers \(200\)/);
      assert.ok(text.includes(`${limit}. `) && !text.includes(`${limit + 1}. `), `shows exactly ${limit}`);
      assert.match(text, new RegExp(`…and ${200 - limit} more .*<http://127\\.0\\.0\\.1:3000/dashboard\\|`));
      assert.ok(text.includes(`*Total ARR at Risk:* ${expectedTotal}`));
      const menus = customerMenus(message);
      assert.equal(menus.length, limit, `a menu for each of the ${limit} listed customers`);
      menus.forEach((m, i) => assert.equal(m.options[1].parsed?.customerId, many[i].id));
      assert.ok(message.blocks.length < SLACK_LIMITS.blocks, 'room left for the status line a click adds');
    }
    for (const kind of ['follow_up', 'escalation'] as const) {
      for (const limit of [10, 40]) {
        const message = renderCsmMessage(kind, input({ customers: many, customerLimit: limit, changes: Array.from({ length: 100 }, (_, i) => `change ${i} ${'z'.repeat(400)}`) }));
        assert.deepEqual(limitProblems(message), [], `${kind} ${limit}`);
        assert.ok(message.blocks.length < SLACK_LIMITS.blocks, `${kind} ${limit}: room for a status line`);
        assert.equal(customerMenus(message).length, limit, `${kind} ${limit}: a menu per listed customer`);
        assert.equal(customerMenus(message)[0].options[0].parsed?.incidentId, incident.id);
      }
    }
    for (const kind of ['update', 'follow_up', 'post_mortem', 'update_reminder', 'escalation', 'resolution'] as const) {
      const message = renderCsmMessage(kind, input({ customers: many, customerLimit: 40, changes: Array.from({ length: 100 }, (_, i) => `change ${i} ${'z'.repeat(400)}`) }));
      assert.deepEqual(limitProblems(message), [], kind);
    }
  });
});

describe('other CSM messages', () => {
  test('resolution reads like the product format with duration and three buttons (the exact spec text: spec-layouts.test.ts)', () => {
    const resolved = { ...incident, status: 'resolved' as const, resolvedAt: '2026-01-29T21:45:00.000Z', message: 'Root cause identified and fixed' };
    const message = renderCsmMessage('resolution', input({ incident: resolved }));
    assert.equal(message.text, [
      ':white_check_mark: INCIDENT RESOLVED: API Latency Issues',
      '',
      'Incident: API-2026-0129-001',
      'Duration: 2 hours 15 minutes',
      'Resolution: Root cause identified and fixed',
      '',
      'Affected Customers: 5',
      '',
      'Next Steps:',
      '1. Send resolution notification to affected customers',
      '2. Schedule follow-up calls for high-impact customers',
      '3. Prepare post-mortem summary',
    ].join('\n'));
    // No post-mortem yet: no "View Post-Mortem" (never a stand-in link).
    assert.deepEqual(buttons(message).map((b) => b.label), ['Send Resolution Emails', 'Schedule Follow-ups']);
    const withPm = renderCsmMessage('resolution', input({ incident: { ...resolved, postMortemUrl: 'https://wiki.example.com/pm/7' } }));
    assert.deepEqual(buttons(withPm).map((b) => b.action_id), ['forewarn:send_resolution_emails', 'forewarn:schedule_follow_ups', 'forewarn:view_post_mortem']);
    assert.equal(buttons(withPm)[2].url, 'https://wiki.example.com/pm/7');
  });

  test('update lists what changed and the current state', () => {
    const message = renderCsmMessage('update', input({ incident: { ...incident, status: 'identified' }, changes: ['Status: Investigating → Identified'] }));
    assert.match(message.text, /UPDATE: API Latency Issues\n- Status: Investigating → Identified\nStatus: Identified   Severity: P1   Your Affected Customers: 5 \(\$1\.125M ARR\)/);
  });

  test('escalation tells the manager who is silent and about which customers', () => {
    const message = renderCsmMessage('escalation', input({ recipient: { name: 'Lee Park', email: 'lee@corp.example' }, silentCsm: { name: 'Ana Ruiz', email: 'ana@corp.example' } }));
    assert.match(message.text, /ESCALATION: API Latency Issues/);
    assert.match(message.text, /Ana Ruiz \(ana@corp\.example\) has not acknowledged the P1 alert nor contacted any of their 2 high-impact customers \(\$850K ARR\)/);
    assert.match(message.text, /1\. :rotating_light: TechCorp/);
    assert.ok(!message.text.includes('DataFlow'));
  });

  test('follow-up lists the customers to call; war-room summary gives incident totals', () => {
    const resolved = { ...incident, status: 'resolved' as const, resolvedAt: '2026-01-29T21:45:00.000Z' };
    const follow = renderCsmMessage('follow_up', input({ incident: resolved, customers: productCustomers.slice(0, 2), now: '2026-01-30T21:45:00.000Z' }));
    assert.match(follow.text, /Resolved 1 day ago\. 2 of your high-impact customers/);
    assert.deepEqual(customerMenus(follow).map((m) => m.options.map((o) => `${o.parsed?.action} ${o.parsed?.customerId}`)),
      [['mark_contacted c1', 'mark_responded c1'], ['mark_contacted c2', 'mark_responded c2']], 'each customer to call can be marked from the reminder');
    const summary = renderWarRoomSummary({ incident, totals: input().totals, dashboardUrl: 'http://x/dashboard', componentNames });
    assert.match(summary.text, /Affected Customers: 42 \(12 high impact\)   ARR at Risk: \$9\.5M/);
  });
});

describe('approved messaging', () => {
  test('an unapproved template is never used, however well it matches', () => {
    const unapproved = template({ key: 'draft', severity: 'P1', status: 'investigating', components: ['api-gateway'], body: 'DRAFT do not send', approvedAt: null });
    const noApprover = template({ key: 'draft2', severity: 'P1', status: 'investigating', body: 'DRAFT 2', approvedBy: null });
    const msg = approvedMessage([unapproved, noApprover], { incident });
    assert.equal(msg.fallback, true);
    assert.ok(!msg.text.includes('DRAFT'));
    assert.equal(msg.text, 'We are aware of an issue affecting Api Gateway and Data Pipeline and our team is working on it. '
      + 'We will share an update as soon as we have more information. You can follow updates at https://status.example.com/incidents/abc.');
  });

  test('status beats severity, components must overlap, more overlap and higher version win', () => {
    const ts = [
      template({ key: 'generic', body: 'generic' }),
      template({ key: 'p1', severity: 'P1', body: 'p1' }),
      template({ key: 'investigating', status: 'investigating', body: 'investigating' }),
      template({ key: 'p2-investigating', severity: 'P2', status: 'investigating', body: 'wrong severity' }),
      template({ key: 'db-only', status: 'investigating', severity: 'P1', components: ['database'], body: 'wrong component' }),
      template({ key: 'p1-inv-api', severity: 'P1', status: 'investigating', components: ['api-gateway'], body: 'api' }),
      template({ key: 'p1-inv-both', severity: 'P1', status: 'investigating', components: ['api-gateway', 'data-pipeline'], body: 'both' }),
    ];
    assert.deepEqual(rankTemplates(ts, incident).map((t) => t.key), ['p1-inv-both', 'p1-inv-api', 'investigating', 'p1', 'generic']);
    const v2 = [template({ key: 'a', status: 'investigating', body: 'v1' }), template({ key: 'b', status: 'investigating', body: 'v2', version: 2 })];
    assert.equal(approvedMessage(v2, { incident }).text, 'v2');
    assert.equal(approvedMessage(ts, { incident: { ...incident, status: 'resolved' } }).templateKey, 'p1');
  });

  test('renders placeholders; a template that cannot be completed falls back to the next', () => {
    const ts = [
      template({ key: 'with-link', severity: 'P1', status: 'investigating', body: 'Hi {{customer.contactName}}, {{incident.title}} ({{ incident.status }}) affects {{customer.components}}. Follow {{incident.statusPageUrl}}. — {{csm.name}}' }),
      template({ key: 'plain', status: 'investigating', body: '{{incident.title}} is being investigated.' }),
    ];
    const ctx = { incident, componentNames, customer: { name: 'TechCorp', contactName: 'Sam Lee', componentNames: ['API Gateway'] }, csm: { name: 'Ana Ruiz', email: 'ana@corp.example' } };
    assert.equal(approvedMessage(ts, ctx).text, 'Hi Sam Lee, API Latency Issues (investigating) affects API Gateway. Follow https://status.example.com/incidents/abc. — Ana Ruiz');
    const noLink = { ...ctx, incident: { ...incident, statusPageUrl: undefined } };
    assert.deepEqual(approvedMessage(ts, noLink), { text: 'API Latency Issues is being investigated.', templateKey: 'plain', version: 1, fallback: false });
    assert.equal(renderTemplate('{{incident.nope}}', ctx), null);
    // The CSM preview shows hints for the customer; a customer never gets a hint.
    assert.equal(renderTemplate('Dear {{customer.name}}', { incident }, 'csm'), 'Dear [customer name]');
    assert.equal(renderTemplate('Dear {{customer.name}}', { incident }, 'customer'), null);
  });

  test('a follow-up uses the approved follow-up wording, else the resolution\'s, else Forewarn\'s resolved sentence', () => {
    const resolved = { ...incident, status: 'resolved' as const, resolvedAt: '2026-01-29T21:45:00.000Z' };
    const followUp = template({ key: 'p1-follow-up', severity: 'P1', status: 'follow_up', body: 'Checking in after {{incident.title}}: how are things on your side?' });
    const resolution = template({ key: 'resolved', status: 'resolved', body: '{{incident.title}} is resolved.' });
    const pick = (ts: MessageTemplate[]) => approvedMessage(ts, { incident: resolved }, { audience: 'csm', channel: 'slack', status: 'follow_up' });
    assert.deepEqual([pick([followUp, resolution]).templateKey, pick([followUp, resolution]).text],
      ['p1-follow-up', 'Checking in after API Latency Issues: how are things on your side?']);
    assert.equal(pick([resolution]).templateKey, 'resolved');
    assert.equal(approvedMessage([followUp], { incident: resolved }).templateKey, null, 'a resolution never uses follow-up wording');
    assert.match(pick([]).text, /has been resolved\. Thank you for your patience/);

    const message = renderCsmMessage('follow_up', input({ incident: resolved, customers: productCustomers.slice(0, 2), now: '2026-01-30T21:45:00.000Z', approved: pick([followUp]) }));
    assert.match(message.text, /Approved Messaging: "Checking in after API Latency Issues: how are things on your side\?"/);
    assert.match(JSON.stringify(message.blocks), /Approved template p1-follow-up v1/);
  });
});

describe('email', () => {
  const csm = { name: 'Ana Ruiz', email: 'ana@corp.example' };
  test('outreach is personalised and built on the approved message', () => {
    const email = renderCustomerEmail({ kind: 'outreach', incident, templates, componentNames, csm,
      customer: { id: 'c1', name: 'TechCorp', contactName: 'Sam Lee', contactEmail: 'sam@techcorp.example', componentNames: ['API Gateway', 'Data Processing Pipeline'] } });
    assert.equal(email.subject, 'API Latency Issues: update for TechCorp');
    assert.ok(email.text.startsWith('Hi Sam,\n\nWe\'re currently experiencing elevated API latency.'));
    assert.match(email.text, /TechCorp relies on API Gateway and Data Processing Pipeline/);
    assert.match(email.text, /https:\/\/status\.example\.com\/incidents\/abc/);
    assert.ok(email.text.endsWith('Best regards,\nAna Ruiz'));
    assert.equal(email.approved.templateKey, 'p1-investigating');
  });

  test('resolution uses the resolved template and the duration', () => {
    const resolved = { ...incident, status: 'resolved' as const, resolvedAt: '2026-01-29T21:45:00.000Z' };
    const email = renderCustomerEmail({ kind: 'resolution', incident: resolved, templates, componentNames, csm,
      customer: { id: 'c1', name: 'TechCorp', componentNames: ['API Gateway'] } });
    assert.equal(email.subject, 'Resolved: API Latency Issues');
    assert.ok(email.text.startsWith('Hi there,\n\nAPI Latency Issues has been resolved.'));
    assert.match(email.text, /affecting API Gateway was resolved after 2 hours 15 minutes/);
  });

  test('RFC 2822 raw message decodes back to the same headers and UTF-8 body', () => {
    const raw = rawEmailBase64Url({
      from: { name: 'Ana Ruiz', email: 'ana@corp.example' }, to: { name: 'Renée O\'Brien, Ops', email: 'renee@techcorp.example' },
      subject: 'Incident résolu: API', text: 'Bonjour Renée,\nTout est réparé ✅', messageId: 'forewarn.abc@forewarn',
    });
    assert.match(raw, /^[A-Za-z0-9_-]+$/);
    const mime = Buffer.from(raw, 'base64url').toString('utf8');
    const [head, body] = mime.split('\r\n\r\n');
    assert.match(head, /^From: Ana Ruiz <ana@corp\.example>$/m);
    assert.match(head, /^To: =\?UTF-8\?B\?[^?]+\?= <renee@techcorp\.example>$/m);
    assert.match(head, /^Message-ID: <forewarn\.abc@forewarn>$/m);
    const subject = /^Subject: (.*)$/m.exec(head)![1];
    assert.equal(Buffer.from(/=\?UTF-8\?B\?(.*)\?=/.exec(subject)![1], 'base64').toString('utf8'), 'Incident résolu: API');
    assert.equal(Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('utf8'), 'Bonjour Renée,\r\nTout est réparé ✅');
  });

  test('bad addresses are refused and header injection is impossible', () => {
    assert.equal(isValidEmailAddress('sam@techcorp.example'), true);
    for (const bad of ['', 'sam', 'sam@', '@techcorp.example', 'sam@@techcorp.example', 'sam techcorp@x.example', 'sam@x.example\r\nBcc: all@x.example']) {
      assert.equal(isValidEmailAddress(bad), false, bad);
    }
    assert.throws(() => buildRawEmail({ from: { email: 'ana@corp.example' }, to: { email: 'not-an-address' }, subject: 's', text: 't' }), InvalidAddressError);
    const mime = buildRawEmail({ from: { email: 'ana@corp.example' }, to: { email: 'sam@techcorp.example' }, subject: 'Hi\r\nBcc: all@corp.example', text: 't' });
    assert.ok(!/^Bcc:/m.test(mime));
  });
});

describe('formatting', () => {
  test('money, durations, clock times, channel names', () => {
    assert.equal(formatArr(500_000), '$500K');
    assert.equal(formatArr(1_125_000), '$1.125M');
    assert.equal(formatArr(25_000), '$25K');
    assert.equal(formatDuration('2026-01-29T19:30:00Z', '2026-01-29T21:45:00Z'), '2 hours 15 minutes');
    assert.equal(formatDuration('2026-01-29T19:30:00Z', '2026-01-29T20:30:00Z'), '1 hour');
    assert.equal(formatDuration('2026-01-29T19:30:00Z', '2026-01-29T19:31:00Z'), '1 minute');
    assert.equal(formatClockTime('2026-07-01T19:30:00Z', 'America/New_York'), '3:30 PM EDT');
    assert.equal(formatClockTime('2026-01-28T19:30:00Z', 'America/New_York', '2026-01-29T19:30:00Z'), 'Jan 28, 2:30 PM EST');
    assert.equal(formatClockTime('2026-01-29T19:30:00Z', 'Not/AZone'), '7:30 PM UTC');
    assert.equal(warRoomChannelName(incident), 'incident-api-2026-0129-001-response');
    assert.equal(warRoomChannelName({ id: incident.id, externalId: 'Q1 ABC/Ω' }), 'incident-q1-abc-response');
    assert.equal(warRoomChannelName({ id: incident.id, externalId: '' }), 'incident-6f1c2a9e-response');
    assert.match(warRoomChannelName({ id: incident.id, externalId: 'x'.repeat(200) }), /^[a-z0-9_-]{1,80}$/);
  });
});
