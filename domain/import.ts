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
 *
 * This file is the public entry; the parts live in domain/import/: types.ts (shapes and field
 * tables), field-reader.ts (field checks), entities.ts (one validator per entity), validate.ts
 * (records and the cross-record checks), references.ts (what the database must define).
 */
export {
  FIELDS, IMPORT_ENTITIES, REQUIRED_FIELDS,
  type ComponentAliasImport, type ComponentImport, type CsmImport, type CustomerComponentImport, type CustomerImport,
  type ImportEntity, type ImportError, type ImportValidation, type NormalizedImport, type Reference, type SourceRecord,
  type TemplateImport, type UsageImport,
} from './import/types';
export { recordsFromJson, rowCount, validateImport, validateRecords } from './import/validate';
export { referencedValues, resolveReferences } from './import/references';
