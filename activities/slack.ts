/**
 * Slack side effects: CSM DMs and thread replies (slack-csm-messages.ts), the coordination
 * channel and posts in it (slack-war-room.ts), over one workspace (slack-workspace.ts).
 *
 * Exactly once for people: every message goes through the outbox protocol (outbox-send.ts: claim
 * the row keyed by the idempotency key BEFORE sending, mark it after) and carries the key in Slack
 * message metadata (slack-post.ts). A key already sent answers 'duplicate'. A key claimed by an
 * attempt that died mid-send is first looked up in the conversation before anything is posted again.
 *
 * Every activity heartbeats while it runs (heartbeat.ts), including while the Slack client waits
 * out a 429, so a worker that dies is replaced within the proxy's heartbeat timeout.
 *
 * Without SLACK_BOT_TOKEN (dry-run) messages are rendered and stored with status dry_run; the war
 * room then gets a pseudo id so the workflow behaves the same.
 */
import type { IncidentActivities } from './types';
import { createCsmMessageActivities } from './slack-csm-messages';
import { createWarRoomActivities } from './slack-war-room';
import { createSlackWorkspace, type SlackDeps } from './slack-workspace';

type SlackActivities = Pick<IncidentActivities, 'sendCsmMessage' | 'notifyCsm' | 'ensureWarRoom' | 'postToWarRoom' | 'inviteToWarRoom'>;

export function createSlackActivities(deps: SlackDeps): SlackActivities {
  const slack = createSlackWorkspace(deps);
  return { ...createCsmMessageActivities(slack), ...createWarRoomActivities(slack) };
}
