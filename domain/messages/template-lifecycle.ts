/**
 * How a message template becomes the company's wording: a version is written as a draft, submitted
 * for review, and approved by a different named person, which makes it the template's one active
 * version (the previous active version is superseded, and kept). A submitted version may be sent
 * back to draft with a reason. Only the active version is ever used (templates.ts).
 *
 *   draft ──submit──▶ submitted ──approve (someone else)──▶ active ──(next approval)──▶ superseded
 *     ▲                   │
 *     └──────return───────┘
 *
 * Saving checks the content (placeholders Forewarn fills, no stray braces, a subject only for
 * email) and answers a preview rendered for the spec's example incident and a customer.
 */
import { SEGMENTS, SEVERITIES, type Incident, type Segment, type Severity } from '../types';
import { renderCustomerEmail } from './email';
import {
  placeholderProblems, renderTemplate, TEMPLATE_CHANNELS, TEMPLATE_STAGES,
  type MessageTemplate, type TemplateChannel, type TemplateStage, type TemplateState,
} from './templates';

/** What a person writes: the wording and whom it is for. */
export interface TemplateContent {
  severity: Severity | null;
  stage: TemplateStage | null;
  segment: Segment | null;
  /** null: both the Slack alert and the customer email. */
  channel: TemplateChannel | null;
  components: string[];
  /** Email subject (email or both channels); null: Forewarn's default subject. */
  subject: string | null;
  body: string;
}

/** Who makes a move: `id` tells people apart (the self-approval check), `name` is what the record shows. */
export interface Person { id: string; name: string }

export const TEMPLATE_MOVES = ['submit', 'approve', 'return'] as const;
export type TemplateMove = (typeof TEMPLATE_MOVES)[number];

/** What a version knows of its own history, for the move rules. */
export interface VersionFacts { state: TemplateState; createdById: string | null; submittedById: string | null }

export const BODY_MAX = 5000;
export const SUBJECT_MAX = 200;

export interface ContentProblem { path: string; message: string }

/** A refused move: `reason` tells the API which answer it is (409 wrong state, 403 self-approval). */
export class TemplateMoveRefused extends Error {
  constructor(message: string, public readonly reason: 'state' | 'self_approval') {
    super(message);
    this.name = 'TemplateMoveRefused';
  }
}

const MOVES: Record<TemplateMove, { from: TemplateState; to: TemplateState }> = {
  submit: { from: 'draft', to: 'submitted' },
  approve: { from: 'submitted', to: 'active' },
  return: { from: 'submitted', to: 'draft' },
};

const PAST: Record<TemplateMove, string> = { submit: 'submitted', approve: 'approved', return: 'returned to draft' };

/** The state a move leads to, or the refusal saying why it is not possible. */
export function checkMove(version: VersionFacts, move: TemplateMove, by: Person): TemplateState {
  const { from, to } = MOVES[move];
  if (version.state !== from) {
    throw new TemplateMoveRefused(`Only a ${from} version can be ${PAST[move]}; this one is ${version.state}.`, 'state');
  }
  if (move === 'approve' && (by.id === version.submittedById || by.id === version.createdById)) {
    throw new TemplateMoveRefused('A version is approved by someone other than the person who wrote or submitted it: ask another approver.', 'self_approval');
  }
  return to;
}

/** Every problem of a template's content, each naming its field (`body`, `subject`, …). */
export function contentProblems(content: TemplateContent): ContentProblem[] {
  const problems: ContentProblem[] = [];
  if (!content.body.trim()) problems.push({ path: 'body', message: 'must not be empty' });
  if (content.body.length > BODY_MAX) problems.push({ path: 'body', message: `must be at most ${BODY_MAX} characters` });
  for (const p of placeholderProblems(content.body)) problems.push({ path: 'body', message: p });
  if (content.subject !== null) {
    if (content.channel === 'slack') problems.push({ path: 'subject', message: 'only email templates have a subject' });
    if (!content.subject.trim()) problems.push({ path: 'subject', message: 'must not be empty (leave it out for the default subject)' });
    if (/[\r\n]/.test(content.subject)) problems.push({ path: 'subject', message: 'must be one line' });
    if (content.subject.length > SUBJECT_MAX) problems.push({ path: 'subject', message: `must be at most ${SUBJECT_MAX} characters` });
    for (const p of placeholderProblems(content.subject)) problems.push({ path: 'subject', message: p });
  }
  if (content.severity !== null && !SEVERITIES.includes(content.severity)) problems.push({ path: 'severity', message: `must be one of ${SEVERITIES.join(', ')}` });
  if (content.stage !== null && !TEMPLATE_STAGES.includes(content.stage)) problems.push({ path: 'stage', message: `must be one of ${TEMPLATE_STAGES.join(', ')}` });
  if (content.segment !== null && !SEGMENTS.includes(content.segment)) problems.push({ path: 'segment', message: `must be one of ${SEGMENTS.join(', ')}` });
  if (content.channel !== null && !TEMPLATE_CHANNELS.includes(content.channel)) problems.push({ path: 'channel', message: `must be one of ${TEMPLATE_CHANNELS.join(', ')}` });
  return problems;
}

/** The spec's example incident, at the template's stage (resolved for resolved and follow-up). */
export function exampleIncidentFor(stage: TemplateStage | null, severity: Severity | null, components: string[]): Incident {
  const resolved = stage === 'resolved' || stage === 'follow_up';
  return {
    id: '00000000-0000-4000-8000-000000000001',
    workflowId: 'incident:pagerduty:API-2026-0129-001',
    source: 'pagerduty',
    externalId: 'API-2026-0129-001',
    title: 'API Latency Issues',
    status: resolved ? 'resolved' : stage ?? 'investigating',
    severity: severity ?? 'P1',
    components: components.length ? components : ['api-gateway', 'data-pipeline'],
    regions: ['us-east'],
    startedAt: '2026-01-29T19:30:00.000Z',
    ...(resolved ? { resolvedAt: '2026-01-29T21:45:00.000Z' } : {}),
    statusPageUrl: 'https://status.example.com/incidents/abc',
    message: resolved ? 'Root cause identified and fixed' : 'Our engineering team is actively investigating.',
  };
}

export const EXAMPLE_CUSTOMER = { id: 'example-customer', name: 'TechCorp', contactName: 'Sam Lee', componentNames: ['API Gateway'] };
export const EXAMPLE_CSM = { name: 'Ana Ruiz', email: 'ana@corp.example' };

export interface TemplatePreview {
  /** The example it is rendered for. */
  example: { incident: string; stage: string; customer: string; csm: string };
  /** The "Approved Messaging" text of a CSM's Slack alert (customer details as hints). */
  slack?: string;
  /** The customer email as the example customer would receive it. */
  email?: { subject: string; text: string };
  /** Placeholders that stay empty at this stage: the template would be skipped for the next best. */
  warnings: string[];
}

/** The content rendered for the example incident, customer and CSM, on each channel it is for. */
export function previewTemplate(content: TemplateContent, componentNames: Record<string, string> = {}): TemplatePreview {
  const incident = exampleIncidentFor(content.stage, content.severity, content.components);
  const names = { 'api-gateway': 'API Gateway', 'data-pipeline': 'Data Processing Pipeline', ...componentNames };
  const customer = { ...EXAMPLE_CUSTOMER, segment: content.segment ?? 'enterprise' as Segment };
  const warnings: string[] = [];
  const preview: TemplatePreview = {
    example: { incident: `${incident.severity} ${incident.title} (${incident.externalId})`, stage: content.stage ?? incident.status, customer: customer.name, csm: EXAMPLE_CSM.name },
    warnings,
  };
  if (content.channel !== 'email') {
    const text = renderTemplate(content.body, { incident, componentNames: names, csm: EXAMPLE_CSM }, 'csm');
    if (text === null) warnings.push('A placeholder is empty for this example incident at this stage (e.g. {{incident.duration}} before it is resolved): the alert would use the next best template.');
    else preview.slack = text;
  }
  if (content.channel !== 'slack') {
    // The candidate rendered as if approved, only to show the customer the whole email it would make.
    const candidate: MessageTemplate = {
      key: 'preview', severity: null, status: null, components: [], segment: null, channel: null, body: content.body, subject: content.subject,
      version: 0, approvedBy: 'preview', approvedAt: new Date(0).toISOString(), state: 'active',
    };
    const kind = incident.status === 'resolved' ? 'resolution' : 'outreach';
    const email = renderCustomerEmail({ kind, incident, customer, csm: EXAMPLE_CSM, templates: [candidate], componentNames: names });
    if (email.approved.fallback) warnings.push('A placeholder is empty for the example customer at this stage: the email would use the next best template.');
    else preview.email = { subject: email.subject, text: email.text };
  }
  return preview;
}
