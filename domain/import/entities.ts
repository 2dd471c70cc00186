/**
 * One validator per entity. Each reads its record's fields through a FieldReader (which records
 * every bad field), notes references and keys in the shared ImportChecks, and adds the normalized
 * row only when the record added no error (`clean()`).
 */
import { INCIDENT_SOURCES, SEGMENTS, SEVERITIES, USAGE_LEVELS } from '../types';
import { placeholderProblems, TEMPLATE_CHANNELS, TEMPLATE_STAGES, unknownPlaceholders } from '../messages/templates';
import { describe, FieldReader, KEY, validTimeZone } from './field-reader';
import type {
  ComponentAliasImport, CustomerComponentImport, ImportEntity, ImportError, NormalizedImport, Reference, SourceRecord,
} from './types';

/** What the validators share across all records of one import. */
export interface ImportChecks {
  errors: ImportError[];
  data: NormalizedImport;
  refs: Reference[];
  /** Records `id` as seen at `at`; false (with an error naming the first) when it was seen before. */
  unique: (entity: ImportEntity, id: string | undefined, at: string, label: string) => boolean;
  /** `source\u0000externalId` → where that component alias was first seen. */
  aliasSeen: Map<string, string>;
}

const ALIAS_FIELDS = ['source', 'externalId'];
const CUSTOMER_COMPONENT_FIELDS = ['key', 'usage', 'integrationDependent'];

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const MAX_ARR = 1e12; // numeric(14, 2)
const MAX_BODY = 20000;

/** Anything between double braces; the renderer fills only well-formed known names, a customer would see the rest. */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const PLACEHOLDER_NAME = /^\s*[a-zA-Z]+(\.[a-zA-Z]+)*\s*$/;

/** A CSM: who gets alerted, and where. */
export function validateCsm(rec: SourceRecord, r: FieldReader, { data, unique }: ImportChecks, clean: () => boolean): void {
  const email = r.email('email', true);
  const name = r.string('name', true);
  const slackUserId = r.string('slackUserId', false, 50);
  if (slackUserId !== undefined && !SLACK_USER_ID.test(slackUserId)) r.fail('slackUserId', `must be a Slack user id (like "U024BE7LH"), got ${describe(slackUserId)}`);
  const managerEmail = r.email('managerEmail', false);
  const timeZone = r.string('timeZone', false, 100);
  if (timeZone !== undefined && !validTimeZone(timeZone)) r.fail('timeZone', `must be an IANA time zone (like "America/New_York"), got ${describe(timeZone)}`);
  unique('csms', email, rec.at('email'), 'email');
  if (clean()) {
    data.csms.push({ email: email!, name: name!, slackUserId: slackUserId ?? null, managerEmail: managerEmail ?? null, timeZone: timeZone ?? null });
  }
}

/** Sources that name components by their own ids (a person declaring an incident uses Forewarn's keys or "generic" aliases). */
const ALIAS_SOURCES = INCIDENT_SOURCES.filter((s) => s !== 'manual');

/** A component, with the external ids (aliases) incidents name it by. */
export function validateComponent(rec: SourceRecord, r: FieldReader, { errors, data, unique, aliasSeen }: ImportChecks, clean: () => boolean): void {
  const key = r.key('key', true);
  const name = r.string('name', true);
  const aliasItems = r.objects('aliases', ALIAS_FIELDS);
  const aliases: ComponentAliasImport[] = [];
  for (const item of aliasItems ?? []) {
    const a = new FieldReader(item.value, item.at, errors);
    const source = a.oneOf('source', ALIAS_SOURCES, true);
    const externalId = a.string('externalId', true, 200);
    if (source === undefined || externalId === undefined) continue;
    // One external id maps to one component, or incidents would be ambiguous.
    const id = `${source}\u0000${externalId}`;
    const first = aliasSeen.get(id);
    if (first !== undefined) {
      errors.push({ path: item.at('externalId'), message: `duplicates ${first} (same ${source} id ${describe(externalId)})` });
      continue;
    }
    aliasSeen.set(id, item.at('externalId'));
    aliases.push({ source, externalId });
  }
  const ticketTags = r.strings('ticketTags', true);
  const ticketKeywords = r.strings('ticketKeywords', true);
  unique('components', key, rec.at('key'), 'key');
  if (clean()) {
    data.components.push({ key: key!, name: name!, ...(aliasItems ? { aliases } : {}), ticketTags, ticketKeywords });
  }
}

/** A customer, with the components it uses; refers to its CSM and those components. */
export function validateCustomer(rec: SourceRecord, r: FieldReader, { errors, refs, data, unique }: ImportChecks, clean: () => boolean): void {
  const externalId = r.string('externalId', true, 200);
  const name = r.string('name', true);
  const arr = r.number('arr', { required: true, min: 0, max: MAX_ARR - 0.01, what: 'a non-negative number (annual recurring revenue)' });
  const segment = r.oneOf('segment', SEGMENTS, true);
  const region = r.string('region', true, 100);
  const csmEmail = r.email('csmEmail', false);
  const contactName = r.string('contactName', false);
  const contactEmail = r.email('contactEmail', false);
  if (csmEmail !== undefined) refs.push({ kind: 'csm', value: csmEmail, path: rec.at('csmEmail') });
  const items = r.objects('components', CUSTOMER_COMPONENT_FIELDS);
  const components: CustomerComponentImport[] = [];
  const keysHere = new Map<string, string>();
  for (const item of items ?? []) {
    const c = new FieldReader(item.value, item.at, errors);
    const key = c.key('key', true);
    const usage = c.oneOf('usage', USAGE_LEVELS, true);
    const integrationDependent = c.boolean('integrationDependent') ?? false;
    if (key === undefined || usage === undefined) continue;
    const first = keysHere.get(key);
    if (first !== undefined) {
      errors.push({ path: item.at('key'), message: `duplicates ${first} (component ${describe(key)} listed twice)` });
      continue;
    }
    keysHere.set(key, item.at('key'));
    refs.push({ kind: 'component', value: key, path: item.at('key') });
    components.push({ key, usage, integrationDependent });
  }
  unique('customers', externalId, rec.at('externalId'), 'externalId');
  if (clean()) {
    data.customers.push({
      externalId: externalId!, name: name!, arr: arr!, segment: segment!, region: region!,
      csmEmail: csmEmail ?? null, contactName: contactName ?? null, contactEmail: contactEmail ?? null,
      ...(items ? { components } : {}),
    });
  }
}

/**
 * A message template: its body (and email subject) may use only placeholders Forewarn can fill.
 * Importing adds a version (db/templates.ts); `version` is accepted but Forewarn numbers versions itself.
 */
export function validateTemplate(rec: SourceRecord, r: FieldReader, { errors, refs, data, unique }: ImportChecks, clean: () => boolean): void {
  const key = r.key('key', true);
  const severity = r.oneOf('severity', SEVERITIES, false);
  const status = r.oneOf('status', TEMPLATE_STAGES, false);
  const segment = r.oneOf('segment', SEGMENTS, false);
  const channel = r.oneOf('channel', TEMPLATE_CHANNELS, false);
  const components = r.strings('components', false);
  components.forEach((k, i) => {
    if (!KEY.test(k)) r.fail(`components[${i}]`, `must be a component key, got ${describe(k)}`);
    else refs.push({ kind: 'component', value: k, path: rec.at(`components[${i}]`) });
  });
  const body = r.string('body', true, MAX_BODY);
  if (body !== undefined) {
    for (const m of body.matchAll(PLACEHOLDER)) {
      if (!PLACEHOLDER_NAME.test(m[1]!)) r.fail('body', `has a malformed placeholder ${describe(m[0])} (use names like {{incident.title}})`);
    }
    for (const name of new Set(unknownPlaceholders(body))) {
      r.fail('body', `uses the placeholder {{${name}}}, which Forewarn cannot fill (known ones are like {{incident.title}}, {{incident.statusPageUrl}}, {{customer.name}})`);
    }
    const stray = body.replace(PLACEHOLDER, '');
    if (stray.includes('{{') || stray.includes('}}')) r.fail('body', 'has an unclosed "{{" or a stray "}}"');
  }
  const subject = r.string('subject', false, 200);
  if (subject !== undefined) {
    if (channel === 'slack') r.fail('subject', 'only email templates have a subject');
    for (const problem of placeholderProblems(subject)) r.fail('subject', problem);
  }
  const version = r.number('version', { required: false, min: 1, max: 2_147_483_647, integer: true, what: 'a whole number of at least 1' }) ?? 1;
  const approvedBy = r.string('approvedBy', false, 200);
  const approvedAt = r.timestamp('approvedAt', false);
  if (approvedAt !== undefined && approvedBy === undefined && !errors.some((e) => e.path === rec.at('approvedBy'))) {
    r.fail('approvedAt', 'needs approvedBy: an approval names who approved');
  }
  unique('templates', key, rec.at('key'), 'key');
  if (clean()) {
    data.templates.push({
      key: key!, severity: severity ?? null, status: status ?? null, components, body: body!, version,
      segment: segment ?? null, channel: channel ?? null, subject: subject ?? null,
      approvedBy: approvedBy ?? null, approvedAt: approvedAt ?? null,
    });
  }
}

/** One hour of one customer's requests to one component. */
export function validateUsage(rec: SourceRecord, r: FieldReader, { refs, data, unique }: ImportChecks, clean: () => boolean): void {
  const customerExternalId = r.string('customerExternalId', true, 200);
  const componentKey = r.key('componentKey', true);
  let hour = r.timestamp('hour', true);
  if (hour !== undefined && !/T\d{2}:00:00\.000Z$/.test(hour)) hour = r.fail('hour', `must be on the hour (usage is counted per hour), got ${describe(hour)}`);
  const requests = r.number('requests', { required: true, min: 0, max: Number.MAX_SAFE_INTEGER, integer: true, what: 'a non-negative whole number' });
  if (customerExternalId !== undefined) refs.push({ kind: 'customer', value: customerExternalId, path: rec.at('customerExternalId') });
  if (componentKey !== undefined) refs.push({ kind: 'component', value: componentKey, path: rec.at('componentKey') });
  if (customerExternalId !== undefined && componentKey !== undefined && hour !== undefined) {
    unique('usage', `${customerExternalId}\u0000${componentKey}\u0000${hour}`, rec.at(), 'customer, component and hour');
  }
  if (clean()) data.usage.push({ customerExternalId: customerExternalId!, componentKey: componentKey!, hour: hour!, requests: requests! });
}
