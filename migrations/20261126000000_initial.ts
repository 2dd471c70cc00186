import { sql, type Kysely } from 'kysely';

// Frozen once landed: change the schema with a new, later migration.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists pgcrypto`.execute(db);

  await db.schema
    .createTable('csms')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slack_user_id', 'text')
    .addColumn('manager_email', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('components')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    // Support tickets are matched to components by these (lower-cased) tags and keywords.
    .addColumn('ticket_tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('ticket_keywords', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('component_aliases')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('component_id', 'uuid', (c) => c.notNull().references('components.id').onDelete('cascade'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addUniqueConstraint('component_aliases_source_external_id_key', ['source', 'external_id'])
    .execute();

  await db.schema
    .createTable('customers')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('external_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('arr', 'numeric(14, 2)', (c) => c.notNull().defaultTo(0))
    .addColumn('segment', 'text', (c) => c.notNull().check(sql`segment in ('enterprise','mid-market','smb')`))
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('csm_id', 'uuid', (c) => c.references('csms.id').onDelete('set null'))
    .addColumn('contact_name', 'text')
    .addColumn('contact_email', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('customers_csm_id_idx').on('customers').column('csm_id').execute();
  await db.schema.createIndex('customers_region_idx').on('customers').column('region').execute();

  await db.schema
    .createTable('customer_components')
    .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('component_id', 'uuid', (c) => c.notNull().references('components.id').onDelete('cascade'))
    .addColumn('usage_level', 'text', (c) => c.notNull().check(sql`usage_level in ('heavy','moderate','light')`))
    .addColumn('integration_dependent', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('customer_components_pkey', ['customer_id', 'component_id'])
    .execute();
  // Impact analysis starts from the affected components: this index makes it a range scan.
  await db.schema
    .createIndex('customer_components_component_idx')
    .on('customer_components')
    .columns(['component_id', 'customer_id'])
    .execute();

  await db.schema
    .createTable('customer_usage')
    .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('component_id', 'uuid', (c) => c.notNull().references('components.id').onDelete('cascade'))
    .addColumn('hour', 'timestamptz', (c) => c.notNull())
    .addColumn('request_count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_usage_pkey', ['customer_id', 'component_id', 'hour'])
    .execute();

  await db.schema
    .createTable('message_templates')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('severity', 'text', (c) => c.check(sql`severity in ('P1','P2','P3','P4')`))
    .addColumn('status', 'text', (c) => c.check(sql`status in ('investigating','identified','monitoring','resolved')`))
    .addColumn('components', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('product_incidents')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('P1','P2','P3','P4')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('investigating','identified','monitoring','resolved')`))
    .addColumn('affected_components', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('affected_regions', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('status_page_url', 'text')
    .addColumn('latest_message', 'text')
    .addColumn('slack_channel_id', 'text')
    .addColumn('affected_customer_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('arr_at_risk', 'numeric(16, 2)', (c) => c.notNull().defaultTo(0))
    .addColumn('business_impact_estimate', 'numeric(16, 2)', (c) => c.notNull().defaultTo(0))
    .addColumn('detected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolution_notified_at', 'timestamptz')
    .addColumn('follow_up_at', 'timestamptz')
    .addColumn('post_mortem_reminded_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('product_incidents_source_external_id_key', ['source', 'external_id'])
    .execute();
  await db.schema.createIndex('product_incidents_status_idx').on('product_incidents').columns(['status', 'started_at']).execute();
  await sql`create index product_incidents_components_idx on product_incidents using gin (affected_components)`.execute(db);

  await db.schema
    .createTable('incident_customer_impact')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('product_incidents.id').onDelete('cascade'))
    .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('impact_level', 'text', (c) => c.notNull().check(sql`impact_level in ('high','medium','low','none')`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('business_impact_estimate', 'numeric(16, 2)', (c) => c.notNull().defaultTo(0))
    .addColumn('priority_rank', 'integer', (c) => c.notNull())
    .addColumn('csm_notified_at', 'timestamptz')
    .addColumn('customer_notified_at', 'timestamptz')
    .addColumn('outreach_status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`outreach_status in ('pending','drafted','sent','responded','resolution_sent','followed_up')`))
    .addColumn('outreach_updated_at', 'timestamptz')
    .addColumn('outreach_note', 'text')
    .addColumn('resolution_notified_at', 'timestamptz')
    .addColumn('followed_up_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('incident_customer_impact_incident_customer_key', ['incident_id', 'customer_id'])
    .execute();
  await db.schema.createIndex('incident_customer_impact_customer_idx').on('incident_customer_impact').column('customer_id').execute();

  await db.schema
    .createTable('incident_updates')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('product_incidents.id').onDelete('cascade'))
    // kind: created, status, severity, components, regions, message, note, alert, escalation, acknowledged,
    // outreach, resolution, reopened, follow_up, post_mortem
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('actor', 'text')
    // Makes timeline writes idempotent when an activity is retried.
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('incident_updates_incident_idx').on('incident_updates').columns(['incident_id', 'occurred_at']).execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('incident_id', 'uuid', (c) => c.references('product_incidents.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('slack','email')`))
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending','sent','drafted','dry_run','failed')`))
    .addColumn('provider_ref', 'text')
    .addColumn('provider_channel', 'text')
    .addColumn('error', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('notifications_incident_idx').on('notifications').columns(['incident_id', 'created_at']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('raw_body', 'text', (c) => c.notNull())
    .addColumn('headers', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('received'))
    .addColumn('workflow_id', 'text')
    .addColumn('error', 'text')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('processed_at', 'timestamptz')
    .addUniqueConstraint('webhook_deliveries_source_delivery_id_key', ['source', 'delivery_id'])
    .execute();

  await db.schema
    .createTable('follow_ups')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('product_incidents.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('customer_follow_up','post_mortem','update_reminder','escalation')`))
    .addColumn('csm_email', 'text')
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('scheduled').check(sql`status in ('scheduled','done','cancelled')`))
    .addColumn('done_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('follow_ups_incident_kind_csm_due_key', ['incident_id', 'kind', 'csm_email', 'due_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'follow_ups', 'webhook_deliveries', 'notifications', 'incident_updates', 'incident_customer_impact',
    'product_incidents', 'message_templates', 'customer_usage', 'customer_components', 'customers',
    'component_aliases', 'components', 'csms',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
