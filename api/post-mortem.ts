/**
 * Linking an incident's post-mortem — from the REST API, the dashboard and Slack alike. The link is
 * written on the incident at once (so it shows whether or not Forewarn still follows the incident),
 * then sent to the incident workflow as a person's event, like any change by hand
 * (api/incident-actions.ts): CSMs alerted about the incident get it in their thread, and the
 * post-mortem reminder then links it instead of asking for it.
 */
import type { IncidentView } from '../db/incident-queries';
import type { IncidentEvent } from '../domain/types';
import { audit, forward, label, type ManualAction } from './incident-actions';
import { HttpProblem } from './problem';
import type { IngestDeps } from './webhooks/ingest';

export const POST_MORTEM_URL_MAX = 2000;

export interface PostMortemResult {
  incidentId: string;
  postMortem: { url: string; setBy: string; setAt: string };
  /** false when Forewarn no longer follows the incident: the link is on the incident, no message goes out. */
  forwarded: boolean;
}

/** An http(s) URL a person can open; the error says what is wrong with it. */
export function checkPostMortemUrl(raw: string): string {
  const url = raw.trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HttpProblem(400, 'Invalid post-mortem link', `"${url.slice(0, 200)}" is not a URL; give the post-mortem's full address (https://…).`, [{ path: 'body/url', message: 'must be a URL' }]);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new HttpProblem(400, 'Invalid post-mortem link', 'The post-mortem link must be an http or https address.', [{ path: 'body/url', message: 'must be http(s)' }]);
  }
  if (url.length > POST_MORTEM_URL_MAX) throw new HttpProblem(400, 'Invalid post-mortem link', `The link is longer than ${POST_MORTEM_URL_MAX} characters.`, [{ path: 'body/url', message: 'too long' }]);
  return url;
}

export async function setPostMortem(ingest: IngestDeps, incident: IncidentView, rawUrl: string, action: ManualAction): Promise<PostMortemResult> {
  const url = checkPostMortemUrl(rawUrl);
  const by = label(action);
  const setAt = new Date();
  await ingest.db.updateTable('product_incidents')
    .set({ post_mortem_url: url, post_mortem_set_by: by, post_mortem_set_at: setAt, updated_at: setAt })
    .where('id', '=', incident.id).execute();
  const event: IncidentEvent = {
    source: incident.source, externalId: incident.externalId, occurredAt: setAt.toISOString(), deliveryId: action.deliveryId,
    actor: by, byPerson: true, postMortemUrl: url, note: `Post-mortem linked by ${by}: ${url}`,
  };
  const { result } = await forward(ingest, action, event, incident.workflowId, { incidentId: incident.id, postMortemUrl: url, actor: by });
  if (result.status !== 'duplicate') await audit(ingest.db, action, 'incident.post_mortem_set', incident.id, { url });
  return { incidentId: incident.id, postMortem: { url, setBy: by, setAt: setAt.toISOString() }, forwarded: result.closed.length === 0 };
}
