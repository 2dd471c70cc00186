import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** numeric columns come back from pg as strings; write numbers or strings. */
type Numeric = ColumnType<string, number | string, number | string>;
type BigInt = ColumnType<string, number | string | bigint, number | string | bigint>;
type Json = ColumnType<unknown, string, string>;
type TextArray = ColumnType<string[], string[] | undefined, string[]>;

export interface CsmsTable {
  id: Generated<string>;
  email: string;
  name: string;
  slack_user_id: string | null;
  manager_email: string | null;
  time_zone: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ComponentsTable {
  id: Generated<string>;
  key: string;
  name: string;
  ticket_tags: TextArray;
  ticket_keywords: TextArray;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ComponentAliasesTable {
  id: Generated<string>;
  component_id: string;
  source: string;
  external_id: string;
}

export interface CustomersTable {
  id: Generated<string>;
  external_id: string;
  name: string;
  arr: Numeric;
  segment: 'enterprise' | 'mid-market' | 'smb';
  region: string;
  csm_id: string | null;
  contact_name: string | null;
  contact_email: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface CustomerComponentsTable {
  customer_id: string;
  component_id: string;
  usage_level: 'heavy' | 'moderate' | 'light';
  integration_dependent: Generated<boolean>;
}

export interface CustomerUsageTable {
  customer_id: string;
  component_id: string;
  hour: Timestamp;
  request_count: BigInt;
}

export interface MessageTemplatesTable {
  id: Generated<string>;
  key: string;
  severity: string | null;
  status: string | null;
  components: TextArray;
  body: string;
  version: Generated<number>;
  approved_by: string | null;
  approved_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** draft → submitted → active → superseded (domain/messages/template-lifecycle.ts). */
  state: ColumnType<string, string | undefined, string>;
  segment: string | null;
  /** slack | email; null: both. */
  channel: string | null;
  /** Email subject (email or both channels); null: Forewarn's default subject. */
  subject: string | null;
  created_by: string | null;
  created_by_id: string | null;
  submitted_by: string | null;
  submitted_by_id: string | null;
  submitted_at: Timestamp | null;
  approved_by_id: string | null;
  activated_at: Timestamp | null;
  superseded_at: Timestamp | null;
  returned_by: string | null;
  returned_at: Timestamp | null;
  return_reason: string | null;
}

export interface ProductIncidentsTable {
  id: string;
  source: string;
  external_id: string;
  workflow_id: string;
  title: string;
  description: string | null;
  severity: string;
  status: string;
  affected_components: TextArray;
  affected_regions: TextArray;
  started_at: Timestamp;
  resolved_at: Timestamp | null;
  status_page_url: string | null;
  latest_message: string | null;
  slack_channel_id: string | null;
  affected_customer_count: Generated<number>;
  arr_at_risk: ColumnType<string, number | string | undefined, number | string>;
  business_impact_estimate: ColumnType<string, number | string | undefined, number | string>;
  detected_at: ColumnType<Date, Date | string | undefined, Date | string>;
  resolution_notified_at: Timestamp | null;
  follow_up_at: Timestamp | null;
  post_mortem_reminded_at: Timestamp | null;
  /** The latest part of the incident the workflow could not process (Postgres refused the data), and how many so far. */
  last_problem: string | null;
  last_problem_step: string | null;
  last_problem_at: Timestamp | null;
  problem_count: Generated<number>;
  /** Opened by the support-spike detector and not confirmed by a person or another source yet (migration 20261207000000). */
  suspected: Generated<boolean>;
  /** Set when a person merged this incident into another (its workflow id); the incident then ends. */
  merged_into: string | null;
  merged_at: Timestamp | null;
  /** The source incidents the workflow follows (domain/incident/sources.ts LinkedSourceView[]); [] for one source. */
  linked_sources: ColumnType<unknown, string | undefined, string>;
  /** The post-mortem's link; who set it (a person's name, or the source) and when. */
  post_mortem_url: ColumnType<string | null, string | null | undefined, string | null>;
  post_mortem_set_by: ColumnType<string | null, string | null | undefined, string | null>;
  post_mortem_set_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The incident's owner at the source, by email: asked for the post-mortem when it is missing. */
  owner_email: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** A source incident and the Forewarn incident it feeds (db/incident-routing.ts). */
export interface IncidentRoutesTable {
  source: string;
  external_id: string;
  workflow_id: string;
  title: string | null;
  status: ColumnType<string, string | undefined, string>;
  suspected: ColumnType<boolean, boolean | undefined, boolean>;
  components: TextArray;
  refs: TextArray;
  /** Why it feeds that incident: new, route, reference, component, merge, split. */
  how: string;
  last_activity_at: ColumnType<Date, Date | string | undefined, Date | string>;
  created_at: CreatedAt;
}

export interface IncidentCustomerImpactTable {
  id: Generated<string>;
  incident_id: string;
  customer_id: string;
  impact_level: 'high' | 'medium' | 'low' | 'none';
  reason: string;
  business_impact_estimate: ColumnType<string, number | string | undefined, number | string>;
  priority_rank: number;
  csm_notified_at: Timestamp | null;
  customer_notified_at: Timestamp | null;
  outreach_status: ColumnType<string, string | undefined, string>;
  outreach_updated_at: Timestamp | null;
  outreach_note: string | null;
  resolution_notified_at: Timestamp | null;
  followed_up_at: Timestamp | null;
  affected_revision: number | null;
  unaffected_revision: number | null;
  outreach_error: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface IncidentUpdatesTable {
  id: Generated<string>;
  incident_id: string;
  kind: string;
  summary: string;
  details: ColumnType<unknown, string | undefined, string>;
  actor: string | null;
  dedupe_key: string;
  occurred_at: Timestamp;
  created_at: CreatedAt;
}

export interface NotificationsTable {
  id: Generated<string>;
  idempotency_key: string;
  incident_id: string | null;
  channel: 'slack' | 'email';
  recipient: string;
  kind: string;
  payload: Json;
  status: ColumnType<string, string | undefined, string>;
  provider_ref: string | null;
  provider_channel: string | null;
  error: string | null;
  attempts: Generated<number>;
  created_at: CreatedAt;
  sent_at: Timestamp | null;
  /** An alert folded into a storm digest: the digest's key (alert_digests, and its own outbox row). */
  digest_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** The approved template version the message was rendered from (null: none, or Forewarn's default). */
  template_key: ColumnType<string | null, string | null | undefined, string | null>;
  template_version: ColumnType<number | null, number | null | undefined, number | null>;
}

/** A storm digest DM to one CSM (db/alert-digests.ts). */
export interface AlertDigestsTable {
  idempotency_key: string;
  /** Lower-case. */
  csm_email: string;
  opened_at: CreatedAt;
  last_joined_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** Joins so far; `shown_version` is what the Slack message shows. */
  version: Generated<number>;
  shown_version: Generated<number>;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  /** The posted message (DM channel and ts), once posted. */
  channel: string | null;
  ts: string | null;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  source: string;
  delivery_id: string;
  raw_body: string;
  headers: ColumnType<unknown, string | undefined, string>;
  status: ColumnType<string, string | undefined, string>;
  workflow_id: string | null;
  error: string | null;
  received_at: ColumnType<Date, Date | string | undefined, never>;
  processed_at: Timestamp | null;
  /** When the current attempt claimed the delivery for forwarding (db/deliveries.ts). */
  claimed_at: Timestamp | null;
}

export interface FollowUpsTable {
  id: Generated<string>;
  incident_id: string;
  kind: 'customer_follow_up' | 'post_mortem' | 'update_reminder' | 'escalation';
  csm_email: string | null;
  due_at: Timestamp;
  status: ColumnType<string, string | undefined, string>;
  done_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface AuditLogTable {
  id: ColumnType<string, never, never>;
  at: ColumnType<Date, Date | string | undefined, never>;
  actor_kind: string;
  actor_id: string;
  actor_name: string;
  actor_email: string | null;
  action: string;
  incident_id: string | null;
  target: string | null;
  detail: ColumnType<unknown, string | undefined, never>;
}

export interface PeopleTable {
  id: Generated<string>;
  email: string;
  name: string;
  slack_user_id: string | null;
  is_admin: Generated<boolean>;
  can_approve_templates: Generated<boolean>;
  last_sign_in_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SessionsTable {
  /** SHA-256 of the cookie's session id. */
  id_hash: string;
  person_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface SignInAttemptsTable {
  /** SHA-256 of the sign-in cookie's id: the attempt belongs to the browser that started it. */
  id_hash: string;
  state: string;
  nonce: string;
  code_verifier: string;
  expires_at: Timestamp;
}

export interface ApiTokensTable {
  id: Generated<string>;
  name: string;
  person_id: string | null;
  scopes: ColumnType<string[], string[], string[]>;
  token_hash: string;
  /** The token's first characters, to recognise it in a list. */
  prefix: string;
  created_by: string;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** Every ticket the support webhook received, with its customer and when it was opened (escalations). */
export interface SupportTicketsTable {
  id: Generated<string>;
  ticket_id: string;
  customer_external_id: string;
  customer_id: string | null;
  subject: ColumnType<string, string | undefined, string>;
  tags: TextArray;
  opened_at: Timestamp;
  received_at: ColumnType<Date, Date | string | undefined, never>;
}

/** One rating per customer and incident, from the resolution email's signed link. */
export interface CsatRatingsTable {
  id: Generated<string>;
  incident_id: string;
  customer_id: string;
  rating: number;
  rated_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface Database {
  csms: CsmsTable;
  components: ComponentsTable;
  component_aliases: ComponentAliasesTable;
  customers: CustomersTable;
  customer_components: CustomerComponentsTable;
  customer_usage: CustomerUsageTable;
  message_templates: MessageTemplatesTable;
  product_incidents: ProductIncidentsTable;
  incident_customer_impact: IncidentCustomerImpactTable;
  incident_updates: IncidentUpdatesTable;
  notifications: NotificationsTable;
  alert_digests: AlertDigestsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  follow_ups: FollowUpsTable;
  audit_log: AuditLogTable;
  incident_routes: IncidentRoutesTable;
  people: PeopleTable;
  sessions: SessionsTable;
  sign_in_attempts: SignInAttemptsTable;
  api_tokens: ApiTokensTable;
  support_tickets: SupportTicketsTable;
  csat_ratings: CsatRatingsTable;
}

export type ProductIncidentRow = Selectable<ProductIncidentsTable>;
export type NewProductIncident = Insertable<ProductIncidentsTable>;
export type ProductIncidentUpdate = Updateable<ProductIncidentsTable>;
export type CustomerRow = Selectable<CustomersTable>;
export type NotificationRow = Selectable<NotificationsTable>;
