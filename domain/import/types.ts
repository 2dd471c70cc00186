/** The import format's shapes: entities, normalized rows, records, errors, and each entity's field table. */
import type { IncidentSource, Segment, UsageLevel } from '../types';
import type { MessageTemplate } from '../messages/templates';

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

/** As stored in `message_templates`; the import format carries approvedAt as text only. */
export interface TemplateImport extends Omit<MessageTemplate, 'approvedAt'> {
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
  templates: ['key', 'severity', 'status', 'segment', 'channel', 'components', 'subject', 'body', 'version', 'approvedBy', 'approvedAt'],
  usage: ['customerExternalId', 'componentKey', 'hour', 'requests'],
};

export const REQUIRED_FIELDS: Record<ImportEntity, readonly string[]> = {
  csms: ['email', 'name'],
  components: ['key', 'name'],
  customers: ['externalId', 'name', 'arr', 'segment', 'region'],
  templates: ['key', 'body'],
  usage: ['customerExternalId', 'componentKey', 'hour', 'requests'],
};
