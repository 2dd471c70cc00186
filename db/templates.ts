/**
 * Message templates and their versions (migrations/20261208000000_template_versions.ts): a row is
 * one version. Every write records who and when on the version and in the audit log, in the same
 * transaction. The rules of each move are domain/messages/template-lifecycle.ts.
 */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Actor } from '../domain/actor';
import type { TemplateImport } from '../domain/import';
import {
  checkMove, TemplateMoveRefused, type Person, type TemplateContent, type TemplateMove,
} from '../domain/messages/template-lifecycle';
import type { MessageTemplate, TemplateChannel, TemplateStage, TemplateState } from '../domain/messages/templates';
import type { Segment, Severity } from '../domain/types';
import { recordAudit } from './audit';
import type { Database, MessageTemplatesTable } from './types';

type Row = Selectable<MessageTemplatesTable>;
type Db = Kysely<Database> | Transaction<Database>;

export interface TemplateVersion extends TemplateContent {
  key: string;
  version: number;
  state: TemplateState;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  submittedBy: string | null;
  submittedAt: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  activatedAt: string | null;
  supersededAt: string | null;
  returnedBy: string | null;
  returnedAt: string | null;
  returnReason: string | null;
}

export interface TemplateSummary {
  key: string;
  /** The version messages use now; null when none is approved yet. */
  activeVersion: number | null;
  /** The newest version (what the editor opens), whatever its state. */
  latest: TemplateVersion;
}

/** A version that does not exist (404), or a save the lifecycle refuses (409). */
export class TemplateNotFound extends Error {}
export class TemplateConflict extends Error {}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function versionOf(r: Row): TemplateVersion {
  return {
    key: r.key, version: r.version, state: r.state as TemplateState,
    severity: r.severity as Severity | null, stage: r.status as TemplateStage | null, segment: r.segment as Segment | null,
    channel: r.channel as TemplateChannel | null, components: r.components, subject: r.subject, body: r.body,
    createdBy: r.created_by, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
    submittedBy: r.submitted_by, submittedAt: iso(r.submitted_at),
    approvedBy: r.approved_by, approvedAt: iso(r.approved_at), activatedAt: iso(r.activated_at), supersededAt: iso(r.superseded_at),
    returnedBy: r.returned_by, returnedAt: iso(r.returned_at), returnReason: r.return_reason,
  };
}

/** The stored row as the renderers take it. */
export function messageTemplateOf(r: Pick<Row, 'key' | 'severity' | 'status' | 'components' | 'body' | 'version' | 'approved_by' | 'approved_at' | 'state' | 'segment' | 'channel' | 'subject'>): MessageTemplate {
  return {
    key: r.key, severity: r.severity as Severity | null, status: r.status as TemplateStage | null, components: r.components, body: r.body,
    version: r.version, approvedBy: r.approved_by, approvedAt: r.approved_at, state: r.state as TemplateState,
    segment: r.segment as Segment | null, channel: r.channel as TemplateChannel | null, subject: r.subject,
  };
}

/** Only the active approved version of each template leaves the database for messaging; the domain checks again. */
export async function loadActiveTemplates(db: Db): Promise<MessageTemplate[]> {
  const rows = await db.selectFrom('message_templates').selectAll()
    .where('state', '=', 'active').where('approved_by', 'is not', null).where('approved_at', 'is not', null)
    .execute();
  return rows.map(messageTemplateOf);
}

/**
 * The person an actor is for the lifecycle: a person (signed in, or through any of their tokens) by
 * email, so no one approves their own version with a second token; else the actor itself.
 */
export function personOf(actor: Actor, name: string): Person {
  return { id: actor.email ? `email:${actor.email.toLowerCase()}` : `${actor.kind}:${actor.id}`, name };
}

/** Every template: its newest version and which version is active. */
export async function listTemplates(db: Db): Promise<TemplateSummary[]> {
  const rows = await db.selectFrom('message_templates').selectAll().orderBy('key').orderBy('version', 'desc').execute();
  const byKey = new Map<string, TemplateSummary>();
  for (const r of rows) {
    const known = byKey.get(r.key);
    if (!known) byKey.set(r.key, { key: r.key, activeVersion: r.state === 'active' ? r.version : null, latest: versionOf(r) });
    else if (r.state === 'active') known.activeVersion = r.version;
  }
  return [...byKey.values()];
}

/** A template's versions, newest first (404 when the key is unknown). */
export async function templateVersions(db: Db, key: string): Promise<TemplateVersion[]> {
  const rows = await db.selectFrom('message_templates').selectAll().where('key', '=', key).orderBy('version', 'desc').execute();
  if (rows.length === 0) throw new TemplateNotFound(`No template "${key}".`);
  return rows.map(versionOf);
}

const contentColumns = (c: TemplateContent) => ({
  severity: c.severity, status: c.stage, segment: c.segment, channel: c.channel, components: c.components, subject: c.subject, body: c.body,
});

/** The key's rows, locked, newest first: moves on one template are serialized. */
async function lockTemplate(trx: Transaction<Database>, key: string): Promise<Row[]> {
  return trx.selectFrom('message_templates').selectAll().where('key', '=', key).orderBy('version', 'desc').forUpdate().execute();
}

/**
 * A new draft version (version 1 of a new template): refused while the template has a draft or a
 * submitted version (edit or decide that one first).
 */
export async function createDraft(db: Kysely<Database>, key: string, content: TemplateContent, by: Person, actor: Actor): Promise<TemplateVersion> {
  return db.transaction().execute(async (trx) => {
    // A new key has no rows to lock: a transaction-scoped advisory lock on the key serializes its first drafts.
    await sql`select pg_advisory_xact_lock(hashtext(${`template:${key}`}))`.execute(trx);
    const rows = await lockTemplate(trx, key);
    const open = rows.find((r) => r.state === 'draft' || r.state === 'submitted');
    if (open) throw new TemplateConflict(`Version ${open.version} of "${key}" is ${open.state}: ${open.state === 'draft' ? 'edit it' : 'approve or return it'} before starting another.`);
    const version = (rows[0]?.version ?? 0) + 1;
    const row = await trx.insertInto('message_templates')
      .values({ key, ...contentColumns(content), version, state: 'draft', created_by: by.name, created_by_id: by.id })
      .returningAll().executeTakeFirstOrThrow();
    await recordAudit(trx, { actor, action: 'template.drafted', target: key, detail: { key, version } });
    return versionOf(row);
  });
}

/** Saves a draft's new content (only a draft can change). */
export async function editDraft(db: Kysely<Database>, key: string, version: number, content: TemplateContent, actor: Actor): Promise<TemplateVersion> {
  return db.transaction().execute(async (trx) => {
    const row = (await lockTemplate(trx, key)).find((r) => r.version === version);
    if (!row) throw new TemplateNotFound(`No version ${version} of template "${key}".`);
    if (row.state !== 'draft') throw new TemplateConflict(`Version ${version} of "${key}" is ${row.state}: only a draft can be edited. Start a new version instead.`);
    const saved = await trx.updateTable('message_templates').set({ ...contentColumns(content), updated_at: new Date() })
      .where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
    await recordAudit(trx, { actor, action: 'template.edited', target: key, detail: { key, version } });
    return versionOf(saved);
  });
}

/**
 * Submit, approve (by someone other than its author and submitter; the active version before it
 * is superseded) or return to draft with a reason.
 */
export async function moveTemplate(
  db: Kysely<Database>, key: string, version: number, move: TemplateMove, by: Person, actor: Actor, reason?: string,
): Promise<TemplateVersion> {
  return db.transaction().execute(async (trx) => {
    const rows = await lockTemplate(trx, key);
    const row = rows.find((r) => r.version === version);
    if (!row) throw new TemplateNotFound(`No version ${version} of template "${key}".`);
    checkMove({ state: row.state as TemplateState, createdById: row.created_by_id, submittedById: row.submitted_by_id }, move, by);
    const now = new Date();
    let superseded: number | undefined;
    if (move === 'submit') {
      await trx.updateTable('message_templates').set({ state: 'submitted', submitted_by: by.name, submitted_by_id: by.id, submitted_at: now, updated_at: now })
        .where('id', '=', row.id).execute();
    } else if (move === 'return') {
      await trx.updateTable('message_templates').set({
        state: 'draft', returned_by: by.name, returned_at: now, return_reason: reason ?? null, submitted_by: null, submitted_by_id: null, submitted_at: null, updated_at: now,
      }).where('id', '=', row.id).execute();
    } else {
      const active = rows.find((r) => r.state === 'active');
      if (active) {
        superseded = active.version;
        await trx.updateTable('message_templates').set({ state: 'superseded', superseded_at: now, updated_at: now }).where('id', '=', active.id).execute();
      }
      await trx.updateTable('message_templates').set({
        state: 'active', approved_by: by.name, approved_by_id: by.id, approved_at: now, activated_at: now, updated_at: now,
      }).where('id', '=', row.id).execute();
    }
    const action = { submit: 'template.submitted', approve: 'template.approved', return: 'template.returned' }[move];
    await recordAudit(trx, {
      actor, action, target: key,
      detail: { key, version, ...(superseded !== undefined ? { superseded } : {}), ...(reason ? { reason } : {}) },
    });
    const saved = await trx.selectFrom('message_templates').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    return versionOf(saved);
  });
}

export { TemplateMoveRefused };

/** The content of an imported template, as the lifecycle sees it. */
export function importedContent(t: TemplateImport): TemplateContent {
  return {
    severity: t.severity, stage: t.status, segment: t.segment ?? null, channel: t.channel ?? null,
    components: [...t.components], subject: t.subject ?? null, body: t.body,
  };
}

function sameContent(r: Row, c: TemplateContent): boolean {
  const sorted = (xs: string[]) => [...xs].sort().join('\u0000');
  return r.body === c.body && r.severity === c.severity && r.status === c.stage && r.segment === c.segment
    && r.channel === c.channel && (r.subject ?? null) === c.subject && sorted(r.components) === sorted(c.components);
}

/**
 * An import never overwrites a version: a template whose newest version already says the same
 * (content and approval) is unchanged; otherwise the import adds a version. With `approvedBy` the
 * new version is active at once (approved outside Forewarn by the person named; the active version
 * before it is superseded); without, it waits for approval as submitted by the importer. A draft
 * or submitted version the import replaces is superseded. Counts: inserted (a new template),
 * updated (a new version of one), unchanged.
 */
export async function importTemplates(
  trx: Transaction<Database>, templates: TemplateImport[], by: Person, actor: Actor | undefined,
): Promise<{ inserted: number; updated: number; unchanged: number }> {
  const counts = { inserted: 0, updated: 0, unchanged: 0 };
  for (const t of templates) {
    const content = importedContent(t);
    const rows = await lockTemplate(trx, t.key);
    const active = rows.find((r) => r.state === 'active');
    const open = rows.find((r) => r.state === 'draft' || r.state === 'submitted');
    const approved = Boolean(t.approvedBy);
    const same = approved
      ? active !== undefined && sameContent(active, content) && active.approved_by === t.approvedBy
      : (open !== undefined && sameContent(open, content)) || (open === undefined && active !== undefined && sameContent(active, content));
    if (same) {
      counts.unchanged++;
      continue;
    }
    const now = new Date();
    // An approved import replaces the active version; one awaiting approval replaces the open version.
    const replaced = approved ? active : open;
    if (replaced) {
      await trx.updateTable('message_templates').set({ state: 'superseded', superseded_at: now, updated_at: now }).where('id', '=', replaced.id).execute();
    }
    const version = (rows[0]?.version ?? 0) + 1;
    await trx.insertInto('message_templates').values({
      key: t.key, ...contentColumns(content), version, created_by: by.name, created_by_id: by.id,
      ...(approved
        ? { state: 'active', approved_by: t.approvedBy, approved_at: t.approvedAt ?? now, activated_at: now }
        : { state: 'submitted', submitted_by: by.name, submitted_by_id: by.id, submitted_at: now }),
    }).execute();
    if (actor) await recordAudit(trx, { actor, action: 'template.imported', target: t.key, detail: { key: t.key, version, state: approved ? 'active' : 'submitted' } });
    if (rows.length) counts.updated++;
    else counts.inserted++;
  }
  return counts;
}
