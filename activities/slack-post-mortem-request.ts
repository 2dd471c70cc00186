/**
 * The 3-day reminder found no post-mortem: its owner is asked for one, once (keyed by owner and
 * resolution time). The owner is the incident's owner at the source (`incident.owner`), else the
 * CS manager of the CSM being reminded (each manager once however many of their CSMs are reminded).
 */
import type { CsmRecord } from '../db/csm-slices';
import { findCsm } from '../db/message-data';
import type { OutboxEntry } from '../db/outbox';
import { renderPostMortemRequest } from '../domain/messages/reminders';
import type { Incident } from '../domain/types';
import { failOnce, findDelivered, sendOnce } from './outbox-send';
import { describeSlackError, isPermanentSlackError } from './slack-client';
import { slackDryRun, slackPost } from './slack-post';
import { openDm, resolveSlackUser } from './slack-users';
import { isLive, type SlackWorkspace } from './slack-workspace';

export async function askForPostMortem(
  slack: SlackWorkspace, incident: Incident, csm: CsmRecord, dashboardUrl: string, slice: { customers: number },
): Promise<void> {
  const { db } = slack;
  const ownerEmail = (incident.owner ?? csm.managerEmail)?.toLowerCase();
  if (!ownerEmail) return;
  const key = `${incident.workflowId}:post_mortem_request:${ownerEmail}:${incident.resolvedAt ?? ''}`;
  if (await findDelivered(db, key)) return;
  const stored = await findCsm(db, ownerEmail);
  const counts = await db.selectFrom('incident_customer_impact as i').innerJoin('customers as c', 'c.id', 'i.customer_id')
    .select((eb) => [eb.fn.countAll<string>().as('customers'), eb.fn.count<string>('c.csm_id').distinct().as('csms')])
    .where('i.incident_id', '=', incident.id).executeTakeFirst();
  const message = renderPostMortemRequest({
    incident, customers: Number(counts?.customers ?? slice.customers), csms: Number(counts?.csms ?? 1),
    dashboardUrl: `${dashboardUrl}#/incidents/${encodeURIComponent(incident.id)}`, now: new Date().toISOString(),
  });
  const entry = (slackUserId?: string): OutboxEntry => ({
    idempotencyKey: key, incidentId: incident.id, channel: 'slack', kind: 'post_mortem_request', recipient: ownerEmail, payload: { ...message, slackUserId },
  });
  if (!isLive(slack)) {
    await sendOnce(db, entry(), slackDryRun());
    return;
  }
  let user: { userId: string };
  try {
    user = await resolveSlackUser(slack, { email: ownerEmail, name: stored?.name ?? ownerEmail, slackUserId: stored?.slackUserId ?? undefined, timeZone: stored?.timeZone ?? undefined });
  } catch (err) {
    if (!isPermanentSlackError(err)) throw err;
    await failOnce(db, entry(), describeSlackError(err));
    return;
  }
  await sendOnce(db, entry(user.userId), slackPost(slack.client, key, message, { channel: () => openDm(slack, user.userId) }));
}
