/** From a parsed document to records, and from records to validated, normalized rows. */
import {
  validateComponent, validateCsm, validateCustomer, validateTemplate, validateUsage, type ImportChecks,
} from './entities';
import { describe, FieldReader, isObject, unknownFields } from './field-reader';
import {
  FIELDS, IMPORT_ENTITIES,
  type ImportEntity, type ImportError, type ImportValidation, type NormalizedImport, type Reference, type SourceRecord,
} from './types';

const VALIDATORS: Record<ImportEntity, (rec: SourceRecord, r: FieldReader, checks: ImportChecks, clean: () => boolean) => void> = {
  csms: validateCsm,
  components: validateComponent,
  customers: validateCustomer,
  templates: validateTemplate,
  usage: validateUsage,
};

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

  const checks: ImportChecks = { errors, data, refs, unique, aliasSeen };

  for (const rec of records) {
    if (!isObject(rec.value)) {
      errors.push({ path: rec.at(), message: `must be an object, got ${describe(rec.value)}` });
      continue;
    }
    const before = errors.length;
    const r = new FieldReader(rec.value, rec.at, errors);
    unknownFields(rec.value, FIELDS[rec.entity], rec.at, errors);

    VALIDATORS[rec.entity](rec, r, checks, () => errors.length === before);
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

export function rowCount(data: NormalizedImport): number {
  return IMPORT_ENTITIES.reduce((n, e) => n + data[e].length, 0);
}
