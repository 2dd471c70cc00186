/**
 * The CSM message activities (alerts, updates, resolutions, escalations, reminders; in batches
 * through batches.ts). A CSM message reads its own slice of the incident from Postgres
 * (db/csm-slices.ts): the first ALERT_CUSTOMER_LIMIT customers of the list its kind is about and
 * the totals of that list. `notifyCsm` (incidents on the old workflow type) cuts the same slice
 * from the list it is given; both then render and send through one core (slack-csm-delivery.ts).
 */
import { findCsmRecord, csmSlice, revisionChanges, stampCsmNotified, type CsmRecord } from '../db/csm-slices';
import { affectedChangeLines, CHANGED_NAMES_MAX, sliceFor } from '../domain/messages';
import { failOnce } from './outbox-send';
import { deliverCsmMessage, deliveredBefore } from './slack-csm-delivery';
import { askForPostMortem } from './slack-post-mortem-request';
import { isDelivered, notifyResult } from './slack-post';
import type { SlackWorkspace } from './slack-workspace';
import type { IncidentActivities, NotifyResult } from './types';

type CsmMessageActivities = Pick<IncidentActivities, 'sendCsmMessage' | 'notifyCsm'>;

async function storedPostMortem(slack: SlackWorkspace, incidentId: string): Promise<{ postMortemUrl?: string }> {
  const row = await slack.db.selectFrom('product_incidents').select('post_mortem_url').where('id', '=', incidentId).executeTakeFirst();
  return row?.post_mortem_url ? { postMortemUrl: row.post_mortem_url } : {};
}

export function createCsmMessageActivities(slack: SlackWorkspace): CsmMessageActivities {
  const { db } = slack;
  const limit = slack.config.incidents.alertCustomerLimit;
  return {
    /**
     * Reads the CSM and their slice, sends through the core,
     * then stamps csm_notified_at on the customers the message told the CSM about.
     */
    async sendCsmMessage(input): Promise<NotifyResult> {
      const { kind } = input;
      // A post-mortem linked through the API is on the incident row before the workflow hears of it.
      const incident = kind === 'post_mortem' && !input.incident.postMortemUrl
        ? { ...input.incident, ...(await storedPostMortem(slack, input.incident.id)) }
        : input.incident;
      const csm: CsmRecord | undefined = await findCsmRecord(db, input.csmEmail);
      if (!csm) {
        const error = 'unknown_csm';
        return notifyResult(await failOnce(db, {
          idempotencyKey: input.idempotencyKey, incidentId: incident.id, channel: 'slack', kind, recipient: input.csmEmail, payload: { error },
        }, error));
      }
      let result = await deliveredBefore(slack, kind, input.idempotencyKey);
      if (!result) {
        const slice = await csmSlice(db, { incidentId: incident.id, csmId: csm.id, kind, limit, componentKeys: incident.components });
        if (kind === 'follow_up' && slice.totals.customers === 0) return { status: 'skipped', sentAt: new Date().toISOString() };
        const changes = [...(input.changes ?? [])];
        if (kind === 'update' && input.analysisRevision !== undefined) {
          const moved = await revisionChanges(db, { incidentId: incident.id, csmId: csm.id, revision: input.analysisRevision, limit: CHANGED_NAMES_MAX });
          changes.push(...affectedChangeLines(moved.added, moved.removed));
        }
        result = await deliverCsmMessage(slack, {
          idempotencyKey: input.idempotencyKey, kind, incident, csm, slice, totals: input.totals, dashboardUrl: input.dashboardUrl,
          thread: input.thread, changes,
        });
      }
      if (isDelivered(result)) {
        // A retry after a crash between the send and this write finds the key delivered and stamps again (a no-op then).
        if (kind === 'alert') await stampCsmNotified(db, { incidentId: incident.id, csmId: csm.id, at: result.sentAt });
        if (kind === 'update' && input.analysisRevision !== undefined) {
          await stampCsmNotified(db, { incidentId: incident.id, csmId: csm.id, at: result.sentAt, revision: input.analysisRevision });
        }
        if (kind === 'post_mortem' && !incident.postMortemUrl) await askForPostMortem(slack, incident, csm, input.dashboardUrl, { customers: 0 });
      }
      return result;
    },

    async notifyCsm(input) {
      const done = await deliveredBefore(slack, input.kind, input.idempotencyKey);
      if (done) return done;
      return deliverCsmMessage(slack, {
        idempotencyKey: input.idempotencyKey, kind: input.kind, incident: input.incident, csm: input.csm,
        slice: sliceFor(input.kind, input.customers, limit), totals: input.totals, dashboardUrl: input.dashboardUrl,
        thread: input.thread, changes: input.changes,
      });
    },
  };
}
