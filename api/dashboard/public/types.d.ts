// The JSON the dashboard reads, typed from the server's own definitions (db/dashboard/*), so a
// change to a response the page relies on fails `npm run typecheck`. Types only: never served.
import type { IncidentsOverview } from '../../../db/dashboard/incidents';
import type { IncidentDetail } from '../../../db/dashboard/detail';
import type { TeamMember } from '../../../db/dashboard/team';
import type { Outcomes } from '../../../db/dashboard/outcomes';
import type { OutboxItem } from '../../../db/dashboard/outbox';
import type { OutreachCounts } from '../../../db/dashboard/incident-summary';
import type { TemplateSummary, TemplateVersion } from '../../../db/templates';
import type { TemplateContent, TemplatePreview } from '../../../domain/messages/template-lifecycle';
import type { AuditEntry } from '../../../db/audit';
import type { Actor, ApiTokenView } from '../../../domain/actor';
import type { PersonView } from '../../../db/people';

type WithLinks<T> = T & { temporalUrl: string; slackUrl: string | null };

export type IncidentSummary = WithLinks<IncidentsOverview['incidents'][number]>;
export type Overview = Omit<IncidentsOverview, 'incidents'> & { incidents: IncidentSummary[] };
export type Detail = Omit<IncidentDetail, 'incident'> & { incident: WithLinks<IncidentDetail['incident']> };
export type DetailCustomer = IncidentDetail['customers'][number];
export type Team = { members: TeamMember[]; csmCount: number };
export type { Outcomes, OutboxItem, OutreachCounts, TeamMember };
export type { TemplateSummary, TemplateVersion, TemplateContent, TemplatePreview };
/** GET /api/templates */
export type TemplateList = { templates: TemplateSummary[] };
/** GET /api/templates/:key */
export type TemplateHistory = { key: string; activeVersion: number | null; versions: TemplateVersion[] };
export type Outbox = { items: OutboxItem[]; counts: Record<string, number>; nextBefore: string | null };

/** What h() and s() accept as children: nested arrays are flattened, null/false skipped. */
export type Child = Node | string | number | boolean | null | undefined | Child[];

/** GET /api/me: who is signed in, and whose outreach they may change (null: anyone's). */
export interface Me {
  actor: Actor;
  via: 'bearer' | 'session';
  csrfToken: string | null;
  outreachFor: string[] | null;
  /** Whether they may change severity or status, resolve, dismiss, merge and split incidents. */
  mayManageIncidents: boolean;
}

/** POST /api/incidents: the declared incident, or the open one it joined. */
export interface Declared { status: 'accepted' | 'duplicate'; workflowId: string; incidentId: string; externalId?: string; joined: boolean; title: string }

/** GET /auth/options */
export interface SignInOptions {
  oidc: { providerName: string; signInUrl: string } | null;
  tokenSignIn: boolean;
}

export type { AuditEntry, ApiTokenView };
export type AuditPage = { items: AuditEntry[]; nextBefore: number | null };
export type TokenList = { items: ApiTokenView[] };
export type { PersonView };
export type PeopleList = { items: PersonView[] };

/** GET /api/dashboard/session, with GET /api/me as `me`. */
export interface Session {
  me: Me;
  temporalUiUrl: string;
  namespace: string;
  publicBaseUrl: string;
  webhookUrls: { pagerduty: string; opsgenie: string; generic: string };
  pollSeconds: number;
  slackDryRun: boolean;
  emailDryRun: boolean;
}

/** The hash route's query: every value a string (it comes from URLSearchParams). */
export type Query = Record<string, string | undefined>;

/** What a view's render gets besides its data. */
export interface ViewContext {
  session: Session;
  params: string[];
  query: Query;
  setQuery(patch: Record<string, string | null | undefined>): void;
  refresh(): Promise<void>;
}

/** One dashboard view: where its data is, its title and how it renders. */
export interface View<T> {
  title(data: T): string;
  url(params: string[], query: Query): string;
  render(data: T, ctx: ViewContext): Node;
  /** Polls less often than the session's default (outcomes change slowly). */
  pollSeconds?: number;
}

/**
 * The parts of Slack's Block Kit the outbox renders. Payloads are stored as sent, so every field
 * is optional and a renderer skips what it does not know.
 */
export interface SlackNode {
  type?: string;
  text?: SlackNode | string;
  fields?: SlackNode[];
  accessory?: SlackNode;
  elements?: SlackNode[];
  url?: string;
  style?: string;
  action_id?: string;
  alt_text?: string;
}

/** A stored Slack message: { text, blocks }, possibly nested under `message`. */
export interface SlackPayload {
  message?: SlackPayload;
  text?: string;
  blocks?: SlackNode[];
}

/** A stored email (drafts and notices): the body under one of several names. */
export interface EmailPayload {
  email?: EmailPayload;
  from?: string;
  to?: string | string[];
  cc?: string | string[];
  subject?: string;
  body?: string;
  text?: string;
  textBody?: string;
  html?: string;
}
