/**
 * CSV files per entity, turned into the same records as the JSON format (see import.ts) so one
 * validator checks both. The entity is taken from the file name (`customers.csv`,
 * `acme-customers.csv`); headers match the JSON field names in any spelling (`externalId`,
 * `external_id`, `External ID`). Errors name the file, the row (the line the record starts on;
 * the header is row 1) and the column.
 *
 * Lists inside a cell are separated by ";":
 * - components.csv `aliases`: `source:externalId` (`pagerduty:PIJ90N7;statuspage:8kbf7d35c070`);
 *   `ticket_tags`, `ticket_keywords`: plain values.
 * - customers.csv `components`: `key:usage[:integration]` (`api-gateway:heavy:integration;billing:light`);
 *   the third part marks the customer integration-dependent on that component (`integration`, `yes`,
 *   `true`; `no`/`false` for not). A present but empty cell means "uses no components"; without the
 *   column, the stored component usage is left alone.
 * - templates.csv `components`: component keys.
 * Numbers are plain (`500000`, `1250.50`); an empty cell is an absent value.
 */
import { parse } from 'csv-parse/sync';
import {
  FIELDS, IMPORT_ENTITIES, REQUIRED_FIELDS, validateRecords,
  type ImportEntity, type ImportError, type ImportValidation, type SourceRecord,
} from './import';

export interface CsvFile {
  /** The file's name (a path is fine): it says which entity the file holds. */
  name: string;
  text: string;
}

const normalizeHeader = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');

const NUMBER_FIELDS = new Set(['arr', 'version', 'requests']);
const LIST_FIELDS = new Set(['ticketTags', 'ticketKeywords']);

/** The entity a CSV file holds, from its name; undefined when the name says none. */
export function entityForCsvFile(name: string): ImportEntity | undefined {
  const base = name.split(/[\\/]/).pop()!.toLowerCase();
  const m = base.match(/(?:^|[-_.\s])(csms|components|customers|templates|usage)\.csv$/);
  return m ? (m[1] as ImportEntity) : undefined;
}

function splitList(cell: string): string[] {
  return cell.split(';').map((s) => s.trim()).filter(Boolean);
}

function toNumber(cell: string): number | string {
  const n = Number(cell);
  return cell !== '' && Number.isFinite(n) ? n : cell;
}

const YES = /^(integration|integration-dependent|yes|y|true|1)$/i;
const NO = /^(no|n|false|0)$/i;

/** Parses one CSV file into records; errors for the file itself (header, broken quoting) come back too. */
export function recordsFromCsv(file: CsvFile, entityOverride?: ImportEntity): { records: SourceRecord[]; errors: ImportError[] } {
  const fileName = file.name.split(/[\\/]/).pop()!;
  const records: SourceRecord[] = [];
  const errors: ImportError[] = [];
  const entity = entityOverride ?? entityForCsvFile(fileName);
  if (!entity) {
    errors.push({ path: fileName, message: `cannot tell what the file holds: name it ${IMPORT_ENTITIES.map((e) => `${e}.csv`).join(', ')}` });
    return { records, errors };
  }
  const where = (row: number, column?: string, rest?: string) => {
    let s = `${fileName} row ${row}`;
    if (column !== undefined) s += `, column ${column}`;
    if (rest) {
      const m = rest.match(/^\[(\d+)\](?:\.(.+))?$/);
      s += m ? `, entry ${Number(m[1]) + 1}${m[2] ? ` ${m[2]}` : ''}` : ` ${rest}`;
    }
    return s;
  };

  const parsed = parse(file.text, {
    info: true,
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      const lines = err && typeof err.lines === 'number' ? err.lines : undefined;
      errors.push({ path: lines ? `${fileName} row ${lines}` : fileName, message: `is not valid CSV: ${err?.message ?? 'unreadable record'}` });
      return undefined;
    },
  }) as unknown as { record: string[]; info: { lines: number } }[];
  if (parsed.length === 0) {
    errors.push({ path: fileName, message: 'is empty: expected a header row and one row per record' });
    return { records, errors };
  }

  // The row a record starts on: where it ends, less the line breaks inside its quoted fields.
  const startRow = (p: { record: string[]; info: { lines: number } }) =>
    p.info.lines - p.record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);

  const header = parsed[0]!;
  const headerRow = startRow(header);
  const byNormalized = new Map(FIELDS[entity].map((f) => [normalizeHeader(f), f]));
  const columns: (string | undefined)[] = [];
  const columnName = new Map<string, string>();
  header.record.forEach((h, i) => {
    const field = byNormalized.get(normalizeHeader(h));
    if (!field) {
      errors.push({ path: where(headerRow, h || `#${i + 1}`), message: `is not a known column of ${fileName} (known: ${FIELDS[entity].join(', ')})` });
      columns.push(undefined);
    } else if (columnName.has(field)) {
      errors.push({ path: where(headerRow, h), message: `repeats column ${columnName.get(field)}` });
      columns.push(undefined);
    } else {
      columnName.set(field, h);
      columns.push(field);
    }
  });
  const missing = REQUIRED_FIELDS[entity].filter((f) => !columnName.has(f));
  if (missing.length > 0) {
    // Without the column every row would fail the same way; one error says it.
    errors.push({ path: where(headerRow), message: `is missing the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` });
    return { records, errors };
  }

  for (const p of parsed.slice(1)) {
    const row = startRow(p);
    if (p.record.length !== header.record.length) {
      errors.push({ path: where(row), message: `has ${p.record.length} fields but the header has ${header.record.length}` });
      continue;
    }
    const value: Record<string, unknown> = {};
    const at = (field?: string) => {
      if (field === undefined) return where(row);
      const top = field.match(/^[^.[]+/)![0];
      return where(row, columnName.get(top) ?? top, field.slice(top.length).replace(/^\./, ''));
    };
    p.record.forEach((cell, i) => {
      const field = columns[i];
      if (!field) return;
      if (field === 'aliases' || field === 'components') {
        value[field] = listCell(entity, field, cell, (n, message) => errors.push({ path: at(`${field}[${n}]`), message }));
      } else if (cell === '') {
        // absent
      } else if (NUMBER_FIELDS.has(field)) {
        value[field] = toNumber(cell);
      } else if (LIST_FIELDS.has(field)) {
        value[field] = splitList(cell);
      } else {
        value[field] = cell;
      }
    });
    records.push({ entity, value, at });
  }
  return { records, errors };
}

function listCell(entity: ImportEntity, field: 'aliases' | 'components', cell: string, fail: (index: number, message: string) => void): unknown[] {
  const items = splitList(cell);
  if (entity === 'templates') return items;
  if (field === 'aliases') {
    return items.flatMap((item, i) => {
      const at = item.indexOf(':');
      if (at <= 0) {
        fail(i, `must look like source:externalId (like "pagerduty:PIJ90N7"), got "${item}"`);
        return [];
      }
      return [{ source: item.slice(0, at).trim(), externalId: item.slice(at + 1).trim() }];
    });
  }
  return items.flatMap((item, i) => {
    const parts = item.split(':').map((s) => s.trim());
    if (parts.length < 2 || parts.length > 3 || !parts[0]) {
      fail(i, `must look like key:usage or key:usage:integration (like "api-gateway:heavy:integration"), got "${item}"`);
      return [];
    }
    const [key, usage, flag] = parts;
    let integrationDependent = false;
    if (flag !== undefined) {
      if (YES.test(flag)) integrationDependent = true;
      else if (!NO.test(flag)) {
        fail(i, `ends in "${flag}": the third part must be "integration" (or yes/no)`);
        return [];
      }
    }
    return [{ key, usage, integrationDependent }];
  });
}

/** Validates CSV files together, so customers.csv may name CSMs from csms.csv. */
export function validateCsvFiles(files: CsvFile[]): ImportValidation {
  const records: SourceRecord[] = [];
  const errors: ImportError[] = [];
  for (const f of files) {
    const r = recordsFromCsv(f);
    records.push(...r.records);
    errors.push(...r.errors);
  }
  return validateRecords(records, errors);
}
