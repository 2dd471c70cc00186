/**
 * The customer-base import format: validation and normalization, with no I/O.
 *
 * A CRM export arrives as one JSON document (`{ csms, components, customers, templates, usage }`)
 * or as CSV files per entity (see import-csv.ts). Both become `SourceRecord`s, and `validateRecords`
 * checks every record, collecting every error with its path instead of stopping at the first:
 * a person fixing a 100k-row export wants the whole list at once. References to CSMs, components or
 * customers that the input does not define come back as `unresolved`; the importer checks those
 * against the database (`resolveReferences`).
 *
 * Semantics the importer relies on: scalar fields describe the record fully (an omitted optional
 * field is stored as empty); the nested lists `components[].aliases` and `customers[].components`
 * replace the stored set when present and leave it alone when absent. Nothing is ever deleted
 * because a file does not mention it.
 */
import {
  INCIDENT_SOURCES, INCIDENT_STATUSES, SEGMENTS, SEVERITIES, USAGE_LEVELS,
  type IncidentSource, type IncidentStatus, type Segment, type Severity, type UsageLevel,
} from './types';
import { unknownPlaceholders } from './messages/templates';

export const IMPORT_ENTITIES = ['csms', 'components', 'customers', 'templates', 'usage'] as const;
export type ImportEntity = (typeof IMPORT_ENTITIES)[number];

export interface ImportError {
  path: string;
  message: string;
}

export interface CsmImport {
  email: string;
  name: string;
  slackUserId: string | null;
  managerEmail: string | null;
  timeZone: string | null;
}

export interface ComponentAliasImport {
  source: IncidentSource;
  externalId: string;
}

export interface ComponentImport {
  key: string;
  name: string;
  /** Absent: the stored aliases stay as they are. */
  aliases?: ComponentAliasImport[];
  ticketTags: string[];
  ticketKeywords: string[];
}

export interface CustomerComponentImport {
  key: string;
  usage: UsageLevel;
  integrationDependent: boolean;
}

export interface CustomerImport {
  externalId: string;
  name: string;
  arr: number;
  segment: Segment;
  region: string;
  csmEmail: string | null;
  contactName: string | null;
  contactEmail: string | null;
  /** Absent: the stored component usage stays as it is. */
  components?: CustomerComponentImport[];
}

export interface TemplateImport {
  key: string;
  severity: Severity | null;
  status: IncidentStatus | null;
  components: string[];
  body: string;
  version: number;
  approvedBy: string | null;
  /** ISO timestamp; null with an approver means "approved when this content was first imported". */
  approvedAt: string | null;
}

export interface UsageImport {
  customerExternalId: string;
  componentKey: string;
  /** ISO timestamp on the hour. */
  hour: string;
  requests: number;
}

export interface NormalizedImport {
  csms: CsmImport[];
  components: ComponentImport[];
  customers: CustomerImport[];
  templates: TemplateImport[];
  usage: UsageImport[];
}

/** Something referred to by key that the input itself does not define. */
export interface Reference {
  kind: 'csm' | 'component' | 'customer';
  value: string;
  path: string;
}

export interface ImportValidation {
  data: NormalizedImport;
  errors: ImportError[];
  unresolved: Reference[];
}

/** One record of one entity, with a function naming where a field of it came from. */
export interface SourceRecord {
  entity: ImportEntity;
  value: unknown;
  /** `at()` names the record, `at('arr')` or `at('components[1].usage')` one of its fields. */
  at: (field?: string) => string;
}

export const FIELDS: Record<ImportEntity, readonly string[]> = {
  csms: ['email', 'name', 'slackUserId', 'managerEmail', 'timeZone'],
  components: ['key', 'name', 'aliases', 'ticketTags', 'ticketKeywords'],
  customers: ['externalId', 'name', 'arr', 'segment', 'region', 'csmEmail', 'contactName', 'contactEmail', 'components'],
  templates: ['key', 'severity', 'status', 'components', 'body', 'version', 'approvedBy', 'approvedAt'],
  usage: ['customerExternalId', 'componentKey', 'hour', 'requests'],
};

export const REQUIRED_FIELDS: Record<ImportEntity, readonly string[]> = {
  csms: ['email', 'name'],
  components: ['key', 'name'],
  customers: ['externalId', 'name', 'arr', 'segment', 'region'],
  templates: ['key', 'body'],
  usage: ['customerExternalId', 'componentKey', 'hour', 'requests'],
};

const ALIAS_FIELDS = ['source', 'externalId'];
const CUSTOMER_COMPONENT_FIELDS = ['key', 'usage', 'integrationDependent'];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// Keys are what incidents and webhooks name components by: one spelling, no case surprises.
const KEY = /^[a-z0-9][a-z0-9._-]*$/;
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const MAX_ARR = 1e12; // numeric(14, 2)
const MAX_TEXT = 1000;
const MAX_BODY = 20000;

/** Anything between double braces; the renderer fills only well-formed known names, a customer would see the rest. */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const PLACEHOLDER_NAME = /^\s*[a-zA-Z]+(\.[a-zA-Z]+)*\s*$/;

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v) : typeof v === 'object' ? 'an object' : String(v);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads one record's fields, recording an error for each bad one. */
class FieldReader {
  constructor(
    private readonly value: Record<string, unknown>,
    private readonly at: (field?: string) => string,
    private readonly errors: ImportError[],
  ) {}

  fail(field: string, message: string): undefined {
    this.errors.push({ path: this.at(field), message });
    return undefined;
  }

  private present(field: string): boolean {
    const v = this.value[field];
    return v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');
  }

  /** A trimmed string; undefined (with an error when required) if absent or not a string. */
  string(field: string, required: boolean, max = MAX_TEXT): string | undefined {
    if (!this.present(field)) return required ? this.fail(field, 'is required') : undefined;
    const v = this.value[field];
    if (typeof v !== 'string') return this.fail(field, `must be a string, got ${describe(v)}`);
    const s = v.trim();
    if (s.length > max) return this.fail(field, `must be at most ${max} characters, got ${s.length}`);
    return s;
  }

  email(field: string, required: boolean): string | undefined {
    const s = this.string(field, required);
    if (s === undefined) return undefined;
    if (!EMAIL.test(s)) return this.fail(field, `must be an email address, got ${describe(s)}`);
    return s.toLowerCase();
  }

  key(field: string, required: boolean): string | undefined {
    const s = this.string(field, required, 100);
    if (s === undefined) return undefined;
    if (!KEY.test(s)) return this.fail(field, `must be lower-case letters, digits, ".", "_" or "-" (like "api-gateway"), got ${describe(s)}`);
    return s;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], required: boolean): T | undefined {
    const s = this.string(field, required);
    if (s === undefined) return undefined;
    // CRM exports capitalize freely ("Enterprise", "p1"); the stored value is canonical.
    const found = allowed.find((a) => a.toLowerCase() === s.toLowerCase());
    if (!found) return this.fail(field, `must be one of ${allowed.join(', ')}, got ${describe(s)}`);
    return found;
  }

  number(field: string, opts: { required: boolean; min: number; max: number; integer?: boolean; what: string }): number | undefined {
    if (!this.present(field)) return opts.required ? this.fail(field, 'is required') : undefined;
    const v = this.value[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < opts.min || v > opts.max || (opts.integer && !Number.isInteger(v))) {
      return this.fail(field, `must be ${opts.what}, got ${describe(v)}`);
    }
    return v;
  }

  boolean(field: string): boolean | undefined {
    if (!this.present(field)) return undefined;
    const v = this.value[field];
    if (typeof v !== 'boolean') return this.fail(field, `must be true or false, got ${describe(v)}`);
    return v;
  }

  timestamp(field: string, required: boolean): string | undefined {
    const s = this.string(field, required);
    if (s === undefined) return undefined;
    // Date.parse accepts far too much; demand ISO 8601 with a time zone so "03/04" is never guessed.
    const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(s) ? Date.parse(s) : NaN;
    if (Number.isNaN(ms)) return this.fail(field, `must be an ISO 8601 timestamp with a time zone (like "2026-01-29T14:00:00Z"), got ${describe(s)}`);
    return new Date(ms).toISOString();
  }

  /** An array of objects, each checked for unknown fields; absent gives undefined. */
  objects(field: string, known: readonly string[]): { value: Record<string, unknown>; at: (f?: string) => string }[] | undefined {
    if (!this.present(field)) return undefined;
    const v = this.value[field];
    if (!Array.isArray(v)) return this.fail(field, `must be an array, got ${describe(v)}`);
    const out: { value: Record<string, unknown>; at: (f?: string) => string }[] = [];
    v.forEach((item, i) => {
      const at = (f?: string) => this.at(f ? `${field}[${i}].${f}` : `${field}[${i}]`);
      if (!isObject(item)) {
        this.errors.push({ path: at(), message: `must be an object, got ${describe(item)}` });
        return;
      }
      unknownFields(item, known, at, this.errors);
      out.push({ value: item, at });
    });
    return out;
  }

  /** An array of non-empty strings, trimmed; absent gives []. */
  strings(field: string, lowerCase: boolean): string[] {
    if (!this.present(field)) return [];
    const v = this.value[field];
    if (!Array.isArray(v)) {
      this.fail(field, `must be an array of strings, got ${describe(v)}`);
      return [];
    }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item !== 'string' || item.trim() === '') {
        this.errors.push({ path: this.at(`${field}[${i}]`), message: `must be a non-empty string, got ${describe(item)}` });
        return;
      }
      const s = lowerCase ? item.trim().toLowerCase() : item.trim();
      if (!out.includes(s)) out.push(s);
    });
    return out;
  }
}

function unknownFields(value: Record<string, unknown>, known: readonly string[], at: (f?: string) => string, errors: ImportError[]): void {
  for (const field of Object.keys(value)) {
    if (!known.includes(field)) errors.push({ path: at(field), message: `is not a known field (known: ${known.join(', ')})` });
  }
}

// Building an Intl formatter is slow (~1 ms); an export repeats a handful of zones thousands of times.
const timeZones = new Map<string, boolean>();
function validTimeZone(tz: string): boolean {
  let valid = timeZones.get(tz);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      valid = true;
    } catch {
      valid = false;
    }
    timeZones.set(tz, valid);
  }
  return valid;
}

/** Turns a parsed JSON document into records; `prefix` (e.g. a file name) starts every path. */
export function recordsFromJson(input: unknown, prefix = ''): { records: SourceRecord[]; errors: ImportError[] } {
  const errors: ImportError[] = [];
  const records: SourceRecord[] = [];
  const sections = IMPORT_ENTITIES.join(', ');
  if (!isObject(input)) {
    errors.push({ path: prefix.trim() || '(document)', message: `must be a JSON object with any of ${sections}, got ${describe(input)}` });
    return { records, errors };
  }
  for (const key of Object.keys(input)) {
    if (!(IMPORT_ENTITIES as readonly string[]).includes(key)) {
      errors.push({ path: `${prefix}${key}`, message: `is not a known section (known: ${sections})` });
    }
  }
  const present = IMPORT_ENTITIES.filter((e) => input[e] !== undefined);
  if (present.length === 0) {
    errors.push({ path: prefix.trim() || '(document)', message: `holds nothing to import: expected at least one of ${sections}` });
  }
  for (const entity of present) {
    const list = input[entity];
    if (!Array.isArray(list)) {
      errors.push({ path: `${prefix}${entity}`, message: `must be an array, got ${describe(list)}` });
      continue;
    }
    list.forEach((value, i) => {
      records.push({ entity, value, at: (f) => `${prefix}${entity}[${i}]${f ? `.${f}` : ''}` });
    });
  }
  return { records, errors };
}

/** Validates every record, then duplicates and references across all of them. */
export function validateRecords(records: SourceRecord[], earlierErrors: ImportError[] = []): ImportValidation {
  const errors = [...earlierErrors];
  const data: NormalizedImport = { csms: [], components: [], customers: [], templates: [], usage: [] };
  const refs: Reference[] = [];
  // Where each key was first seen, to name it in the duplicate's error.
  const seen: Record<ImportEntity, Map<string, string>> = {
    csms: new Map(), components: new Map(), customers: new Map(), templates: new Map(), usage: new Map(),
  };
  const aliasSeen = new Map<string, string>();

  const unique = (entity: ImportEntity, id: string | undefined, at: string, label: string): boolean => {
    if (id === undefined) return true;
    const first = seen[entity].get(id);
    if (first !== undefined) {
      errors.push({ path: at, message: `duplicates ${first} (same ${label})` });
      return false;
    }
    seen[entity].set(id, at);
    return true;
  };

  for (const rec of records) {
    if (!isObject(rec.value)) {
      errors.push({ path: rec.at(), message: `must be an object, got ${describe(rec.value)}` });
      continue;
    }
    const before = errors.length;
    const r = new FieldReader(rec.value, rec.at, errors);
    unknownFields(rec.value, FIELDS[rec.entity], rec.at, errors);

    switch (rec.entity) {
      case 'csms': {
        const email = r.email('email', true);
        const name = r.string('name', true);
        const slackUserId = r.string('slackUserId', false, 50);
        if (slackUserId !== undefined && !SLACK_USER_ID.test(slackUserId)) r.fail('slackUserId', `must be a Slack user id (like "U024BE7LH"), got ${describe(slackUserId)}`);
        const managerEmail = r.email('managerEmail', false);
        const timeZone = r.string('timeZone', false, 100);
        if (timeZone !== undefined && !validTimeZone(timeZone)) r.fail('timeZone', `must be an IANA time zone (like "America/New_York"), got ${describe(timeZone)}`);
        unique('csms', email, rec.at('email'), 'email');
        if (errors.length === before) {
          data.csms.push({ email: email!, name: name!, slackUserId: slackUserId ?? null, managerEmail: managerEmail ?? null, timeZone: timeZone ?? null });
        }
        break;
      }
      case 'components': {
        const key = r.key('key', true);
        const name = r.string('name', true);
        const aliasItems = r.objects('aliases', ALIAS_FIELDS);
        const aliases: ComponentAliasImport[] = [];
        for (const item of aliasItems ?? []) {
          const a = new FieldReader(item.value, item.at, errors);
          const source = a.oneOf('source', INCIDENT_SOURCES, true);
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
        if (errors.length === before) {
          data.components.push({ key: key!, name: name!, ...(aliasItems ? { aliases } : {}), ticketTags, ticketKeywords });
        }
        break;
      }
      case 'customers': {
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
        if (errors.length === before) {
          data.customers.push({
            externalId: externalId!, name: name!, arr: arr!, segment: segment!, region: region!,
            csmEmail: csmEmail ?? null, contactName: contactName ?? null, contactEmail: contactEmail ?? null,
            ...(items ? { components } : {}),
          });
        }
        break;
      }
      case 'templates': {
        const key = r.key('key', true);
        const severity = r.oneOf('severity', SEVERITIES, false);
        const status = r.oneOf('status', INCIDENT_STATUSES, false);
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
        const version = r.number('version', { required: false, min: 1, max: 2_147_483_647, integer: true, what: 'a whole number of at least 1' }) ?? 1;
        const approvedBy = r.string('approvedBy', false, 200);
        const approvedAt = r.timestamp('approvedAt', false);
        if (approvedAt !== undefined && approvedBy === undefined && !errors.some((e) => e.path === rec.at('approvedBy'))) {
          r.fail('approvedAt', 'needs approvedBy: an approval names who approved');
        }
        unique('templates', key, rec.at('key'), 'key');
        if (errors.length === before) {
          data.templates.push({
            key: key!, severity: severity ?? null, status: status ?? null, components, body: body!, version,
            approvedBy: approvedBy ?? null, approvedAt: approvedAt ?? null,
          });
        }
        break;
      }
      case 'usage': {
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
        if (errors.length === before) data.usage.push({ customerExternalId: customerExternalId!, componentKey: componentKey!, hour: hour!, requests: requests! });
        break;
      }
    }
  }

  const defined = { csm: seen.csms, component: seen.components, customer: seen.customers };
  const unresolved = refs.filter((ref) => !defined[ref.kind].has(ref.value));
  return { data, errors, unresolved };
}

/** Validates one parsed JSON document. */
export function validateImport(input: unknown, prefix = ''): ImportValidation {
  const { records, errors } = recordsFromJson(input, prefix);
  return validateRecords(records, errors);
}

/** The distinct values of unresolved references, per kind: what the importer looks up. */
export function referencedValues(unresolved: Reference[]): Record<Reference['kind'], string[]> {
  const out: Record<Reference['kind'], Set<string>> = { csm: new Set(), component: new Set(), customer: new Set() };
  for (const ref of unresolved) out[ref.kind].add(ref.value);
  return { csm: [...out.csm], component: [...out.component], customer: [...out.customer] };
}

const REFERENCE_MESSAGE: Record<Reference['kind'], (v: string) => string> = {
  csm: (v) => `no CSM with email ${describe(v)} in this import or in the database`,
  component: (v) => `no component with key ${describe(v)} in this import or in the database`,
  customer: (v) => `no customer with externalId ${describe(v)} in this import or in the database`,
};

/** One error per reference that neither the input nor the database (`existing`) defines. */
export function resolveReferences(unresolved: Reference[], existing: Record<Reference['kind'], Set<string>>): ImportError[] {
  return unresolved.filter((ref) => !existing[ref.kind].has(ref.value)).map((ref) => ({ path: ref.path, message: REFERENCE_MESSAGE[ref.kind](ref.value) }));
}

export function rowCount(data: NormalizedImport): number {
  return IMPORT_ENTITIES.reduce((n, e) => n + data[e].length, 0);
}
