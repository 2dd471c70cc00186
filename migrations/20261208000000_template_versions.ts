import { sql, type Kysely } from 'kysely';

/**
 * Message templates become versioned and reviewed: a row is one version of a template (key +
 * version), in a lifecycle state (draft → submitted → active, then superseded by the next active
 * version; a submitted version can be sent back to draft). A template targets a severity, a
 * customer segment, a stage (the four incident statuses and follow-up) and a channel (Slack alert
 * text, customer email, or both: null), each null meaning "any". Who wrote, submitted and approved
 * each version is kept by name and by actor id (the self-approval check compares ids).
 *
 * Existing templates become version 1: approved ones active (running systems keep their wording),
 * the others drafts. Notifications record the template version they were rendered from.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table message_templates drop constraint if exists message_templates_key_key`.execute(db);
  await sql`alter table message_templates drop constraint if exists message_templates_status_check`.execute(db);
  await db.schema.alterTable('message_templates')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('draft')
      .check(sql`state in ('draft', 'submitted', 'active', 'superseded')`))
    .addColumn('segment', 'text', (c) => c.check(sql`segment in ('enterprise', 'mid-market', 'smb')`))
    .addColumn('channel', 'text', (c) => c.check(sql`channel in ('slack', 'email')`))
    .addColumn('subject', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_by_id', 'text')
    .addColumn('submitted_by', 'text')
    .addColumn('submitted_by_id', 'text')
    .addColumn('submitted_at', 'timestamptz')
    .addColumn('approved_by_id', 'text')
    .addColumn('activated_at', 'timestamptz')
    .addColumn('superseded_at', 'timestamptz')
    .addColumn('returned_by', 'text')
    .addColumn('returned_at', 'timestamptz')
    .addColumn('return_reason', 'text')
    .execute();
  await sql`alter table message_templates add constraint message_templates_status_check
    check (status in ('investigating', 'identified', 'monitoring', 'resolved', 'follow_up'))`.execute(db);
  await sql`update message_templates set version = 1, created_by = coalesce(approved_by, 'import'),
    state = case when approved_by is not null and approved_at is not null then 'active' else 'draft' end,
    activated_at = case when approved_by is not null and approved_at is not null then approved_at end`.execute(db);
  await db.schema.createIndex('message_templates_key_version_idx').on('message_templates').columns(['key', 'version']).unique().execute();
  // At most one active version and one open (draft or submitted) version a template.
  await sql`create unique index message_templates_active_idx on message_templates (key) where state = 'active'`.execute(db);
  await sql`create unique index message_templates_open_idx on message_templates (key) where state in ('draft', 'submitted')`.execute(db);

  await db.schema.alterTable('notifications')
    .addColumn('template_key', 'text')
    .addColumn('template_version', 'integer')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('notifications').dropColumn('template_key').dropColumn('template_version').execute();
  await sql`drop index if exists message_templates_open_idx`.execute(db);
  await sql`drop index if exists message_templates_active_idx`.execute(db);
  await sql`drop index if exists message_templates_key_version_idx`.execute(db);
  await sql`delete from message_templates t where exists (
    select 1 from message_templates n where n.key = t.key and n.version > t.version)`.execute(db);
  await sql`alter table message_templates drop constraint if exists message_templates_status_check`.execute(db);
  await sql`delete from message_templates where status = 'follow_up'`.execute(db);
  await sql`alter table message_templates add constraint message_templates_status_check
    check (status in ('investigating', 'identified', 'monitoring', 'resolved'))`.execute(db);
  await db.schema.alterTable('message_templates')
    .dropColumn('state').dropColumn('segment').dropColumn('channel').dropColumn('subject')
    .dropColumn('created_by').dropColumn('created_by_id').dropColumn('submitted_by').dropColumn('submitted_by_id')
    .dropColumn('submitted_at').dropColumn('approved_by_id').dropColumn('activated_at').dropColumn('superseded_at')
    .dropColumn('returned_by').dropColumn('returned_at').dropColumn('return_reason')
    .execute();
  await sql`alter table message_templates add constraint message_templates_key_key unique (key)`.execute(db);
}
