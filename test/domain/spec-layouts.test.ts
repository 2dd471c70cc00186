/**
 * The product spec's own examples (section 5.1, the CSM alert; section 5.2, the resolution message),
 * emoji written as Slack shortcodes, rendered from the spec's example incident: the text fallback and
 * the Block Kit message read exactly like them, and Forewarn's extras come after the spec's content.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approvedMessage, renderCsmMessage, limitProblems, type Block, type CsmMessageInput, type MessageCustomer, type MessageTemplate, type SlackMessage,
} from '../../domain/messages';
import { exampleIncident } from '../helpers/incident';

const SPEC_5_1 = `:rotating_light: P1 INCIDENT: API Latency Issues

Incident: API-2026-0129-001
Status: Investigating
Started: 2:30 PM EST

Affected Components:
• API Gateway
• Data Processing Pipeline

Your Affected Customers (5):
1. :rotating_light: TechCorp - $500K ARR - Heavy API user
2. :rotating_light: GlobalInc - $350K ARR - Integration-dependent
3. :warning: DataFlow - $200K ARR - Moderate impact
4. :warning: StartupXYZ - $50K ARR - Moderate impact
5. :large_blue_circle: SmallBiz - $25K ARR - Low impact

Total ARR at Risk: $1.125M

Approved Messaging:
"We're currently experiencing elevated API latency. Our engineering team is actively investigating. We'll provide updates every 30 minutes."

[View Status Page] [Draft Customer Emails] [Join War Room]`;

const SPEC_5_2 = `:white_check_mark: INCIDENT RESOLVED: API Latency Issues

Incident: API-2026-0129-001
Duration: 2 hours 15 minutes
Resolution: Root cause identified and fixed

Affected Customers: 5

Next Steps:
1. Send resolution notification to affected customers
2. Schedule follow-up calls for high-impact customers
3. Prepare post-mortem summary

[Send Resolution Emails] [Schedule Follow-ups] [View Post-Mortem]`;

/** The spec's text without its button row, and the button labels it shows. */
function specParts(spec: string): { text: string; buttons: string[] } {
  const lines = spec.split('\n');
  const row = lines[lines.length - 1];
  return { text: lines.slice(0, -2).join('\n'), buttons: [...row.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]) };
}

// The spec's example incident: P1 "API Latency Issues", started 2:30 PM EST on Jan 29, two components.
const incident = exampleIncident();
const componentNames = { 'api-gateway': 'API Gateway', 'data-pipeline': 'Data Processing Pipeline' };

function customer(rank: number, name: string, arr: number, impactLevel: MessageCustomer['impactLevel'], reason: string): MessageCustomer {
  return { id: `00000000-0000-4000-8000-00000000000${rank}`, name, arr, impactLevel, reason, priorityRank: rank, componentNames: ['API Gateway'] };
}
const customers = [
  customer(1, 'TechCorp', 500_000, 'high', 'Heavy API user'),
  customer(2, 'GlobalInc', 350_000, 'high', 'Integration-dependent'),
  customer(3, 'DataFlow', 200_000, 'medium', 'Moderate impact'),
  customer(4, 'StartupXYZ', 50_000, 'medium', 'Moderate impact'),
  customer(5, 'SmallBiz', 25_000, 'low', 'Low impact'),
];
const templates: MessageTemplate[] = [{
  key: 'p1-investigating', severity: 'P1', status: 'investigating', components: [], version: 1, approvedBy: 'comms@corp.example', approvedAt: '2026-01-01T00:00:00Z',
  body: "We're currently experiencing elevated API latency. Our engineering team is actively investigating. We'll provide updates every 30 minutes.",
}];

function input(overrides: Partial<CsmMessageInput> = {}): CsmMessageInput {
  const subject = overrides.incident ?? incident;
  return {
    incident: subject,
    recipient: { name: 'Ana Ruiz', email: 'ana@corp.example' },
    customers,
    totals: { customers: 5, arrAtRisk: 1_125_000, businessImpact: 0, highImpact: 2 },
    dashboardUrl: 'http://127.0.0.1:3000/dashboard',
    approved: approvedMessage(templates, { incident: subject, componentNames }, { audience: 'csm' }),
    componentNames,
    timeZone: 'America/New_York',
    customerLimit: 10,
    now: '2026-01-29T19:31:00.000Z',
    ...overrides,
  };
}

/**
 * The Block Kit message as a reader sees it, up to Forewarn's first extra (a context or the buttons):
 * each block a paragraph, bold marks and escapes gone; a customer line (the section with the "…" menu)
 * continues the list above it, as the lines of one list.
 */
function blocksAsText(message: SlackMessage): string {
  let out = '';
  for (const b of message.blocks) {
    if (b.type !== 'header' && b.type !== 'section') break;
    const text = b.text.text.replace(/\*([^*\n]+)\*/g, '$1').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const continuesList = b.type === 'section' && b.accessory !== undefined;
    out += out ? `${continuesList ? '\n' : '\n\n'}${text}` : text;
  }
  return out;
}

function buttonLabels(message: SlackMessage): string[] {
  return message.blocks.flatMap((b: Block) => (b.type === 'actions' ? b.elements.map((e) => e.text.text) : []));
}

/** Index of the first block that is not the spec's content. */
function firstExtra(message: SlackMessage): number {
  return message.blocks.findIndex((b) => b.type !== 'header' && b.type !== 'section');
}

describe('the spec\'s layouts, line for line', () => {
  test('5.1: the CSM alert for the spec\'s example incident reads exactly like the spec, in the fallback and in Block Kit', () => {
    const spec = specParts(SPEC_5_1);
    const message = renderCsmMessage('alert', input());
    assert.equal(message.text, spec.text);
    assert.equal(blocksAsText(message), spec.text);
    const labels = buttonLabels(message);
    assert.deepEqual(labels.slice(0, spec.buttons.length), spec.buttons, 'the spec\'s buttons first, in its order');
    assert.deepEqual(labels.slice(spec.buttons.length), ['Acknowledge'], 'then Forewarn\'s own');
    // Forewarn's extras (totals of the whole incident, the template footnote) come after the spec's content.
    const extras = message.blocks.slice(firstExtra(message));
    assert.ok(extras.every((b) => b.type === 'context' || b.type === 'actions'));
    assert.match(JSON.stringify(extras), /Approved template p1-investigating v1/);
    assert.deepEqual(limitProblems(message), []);
  });

  test('5.2: the resolution message for the spec\'s example incident reads exactly like the spec, in the fallback and in Block Kit', () => {
    const spec = specParts(SPEC_5_2);
    // Resolved 2 hours 15 minutes after its start, with the resolution note the spec shows and a post-mortem (its button shows only then).
    const resolved = {
      ...incident, status: 'resolved' as const, resolvedAt: '2026-01-29T21:45:00.000Z', resolutionNote: 'Root cause identified and fixed',
      postMortemUrl: 'https://wiki.example.com/pm/api-latency',
    };
    const message = renderCsmMessage('resolution', input({ incident: resolved, now: '2026-01-29T21:46:00.000Z' }));
    assert.equal(message.text, spec.text);
    assert.equal(blocksAsText(message), spec.text);
    assert.deepEqual(buttonLabels(message), spec.buttons);
    const extras = message.blocks.slice(firstExtra(message));
    assert.ok(extras.every((b) => b.type === 'context' || b.type === 'actions'));
    assert.match(JSON.stringify(extras), /2 high impact · \$1\.125M ARR/);
    assert.deepEqual(limitProblems(message), []);
  });
});
