/**
 * The one place that reads the environment. Every process calls `loadConfig()` once at start
 * and passes the result down; a bad value fails the start with every offending variable named.
 */
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import type { Severity } from '../domain/types';
import type { IncidentSettings } from '../domain/incident/model';
import type { DigestSettings } from '../domain/alert-digest';

export interface Config {
  env: 'development' | 'production' | 'test';
  /**
   * Empty only where a database is started for the process: the dev launcher (which passes its
   * embedded Postgres's URL to the API and worker) and the tests. Processes that need one load the
   * config with `requireDatabaseUrl`.
   */
  databaseUrl: string;
  /** Postgres pool limits: a stopped or frozen database fails a request in bounded time instead of hanging it. */
  database: DatabaseTimeouts;
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  api: { host: string; port: number; tokens: string[]; publicBaseUrl: string; bodyLimitBytes: number };
  auth: AuthConfig;
  worker: { metricsPort: number; healthPort: number; maxCachedWorkflows: number };
  logLevel: string;
  slack: { botToken?: string; signingSecret?: string; apiUrl?: string; dryRun: boolean };
  google: { serviceAccountKeyFile?: string; gmailApiRootUrl?: string; tokenUrl?: string; dryRun: boolean; sendResolutionEmails: boolean };
  pagerduty: { webhookSecrets: string[]; priorityMap: Record<string, Severity>; urgencyMap: Record<string, Severity> };
  opsgenie: { webhookToken?: string };
  statuspage: { webhookToken?: string; pageUrl?: string; apiUrl?: string; apiKey?: string; pageId?: string; syncEverySeconds: number };
  support: { webhookToken?: string; zendeskWebhookSecret?: string; threshold: number; windowMinutes: number };
  /** A source incident sharing a component with an open incident active within this window joins it (db/incident-routing.ts). */
  correlation: { windowMinutes: number };
  /** How the success metrics are measured (GET /api/metrics/summary, the Outcomes view). */
  metrics: {
    /**
     * What customer-initiated escalations are compared with: support tickets per affected customer in
     * a period of Forewarn's own records, or a rate measured elsewhere (before Forewarn). Neither: no comparison.
     */
    escalationBaseline: { from?: string; to?: string; rate?: number };
  };
  /** The one-click rating in resolution emails: links signed with `secret`, valid `linkDays`. No secret: no links. */
  csat: { secret?: string; linkDays: number };
  /** Watching CSMs' Gmail (read scope) for sent Forewarn drafts and customer replies. */
  outreachTracking: { enabled: boolean; everySeconds: number; lookbackDays: number };
  incidents: {
    escalationMinutes: number;
    updateCadenceMinutes: number;
    followUpHours: number;
    postMortemHours: number;
    /** How many customers an alert lists before linking to the dashboard. */
    alertCustomerLimit: number;
    /** Storm digest (domain/alert-digest.ts): alerts a CSM gets within the window before the rest are folded into one DM. */
    alertDigest: DigestSettings;
    /**
     * When Slack cannot deliver a CSM's alert, its updates or resolution (unknown or deactivated user, or still
     * failing after `afterAttempts` attempts), it is emailed to them from `sender`'s mailbox (Gmail,
     * service-account impersonation). No sender: no fallback, the failure is recorded as before.
     */
    alertFallback: { sender?: string; afterAttempts: number };
    /** A suspected incident with no new ticket or event this long closes as dismissed. */
    suspectedAutoCloseMinutes: number;
  };
}

/** Who may sign in and how (api/auth.ts, api/sign-in.ts). */
export interface AuthConfig {
  /** OpenID Connect sign-in; absent when OIDC_CLIENT_ID is not set. */
  oidc?: {
    issuer: string; clientId: string; clientSecret: string; redirectUrl: string; scopes: string;
    /** The button's words: "Sign in with <providerName>". */
    providerName: string;
    /** An http:// issuer (a local fake provider): never in production. */
    allowInsecureIssuer: boolean;
  };
  /** Signed-in people with these emails are admins (the first admins; admins can then name others). */
  adminEmails: string[];
  sessionTtlMinutes: number;
  /** The dashboard offers sign-in with a pasted API token (local development). */
  tokenSignIn: boolean;
}

/** Milliseconds. */
export interface DatabaseTimeouts {
  /** Opening a connection (also: waiting for a free one in the pool). */
  connectTimeoutMs: number;
  /** Server-side statement_timeout: Postgres cancels a statement running longer. */
  statementTimeoutMs: number;
  /** Client-side: a query with no answer this long fails, even when the server is frozen. */
  queryTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

const DEFAULT_PRIORITY_MAP: Record<string, Severity> = { P1: 'P1', P2: 'P2', P3: 'P3', P4: 'P4', P5: 'P4' };
const DEFAULT_URGENCY_MAP: Record<string, Severity> = { high: 'P2', low: 'P3' };
const SEVERITIES = new Set(['P1', 'P2', 'P3', 'P4']);

/** Reads `.env` (if present) under the real environment, which wins. */
export function readEnvironment(env: Env = process.env, dotenvPath = '.env'): Env {
  const fromFile = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  return { ...fromFile, ...env };
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** The API, the worker and the migrate command: an empty DATABASE_URL is a startup error. */
  requireDatabaseUrl?: boolean;
}

export function loadConfig(env: Env = readEnvironment(), options: LoadOptions = {}): Config {
  const problems: string[] = [];
  const str = (name: string, fallback?: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : fallback;
  };
  const int = (name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number between ${min} and ${max}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const num = (name: string, fallback: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) {
      problems.push(`${name} must be a positive number, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };
  const list = (name: string): string[] => (str(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const url = (name: string, fallback?: string): string | undefined => {
    const raw = str(name, fallback);
    if (raw === undefined) return undefined;
    try {
      new URL(raw);
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} must be an absolute URL, got "${raw}"`);
      return fallback;
    }
  };
  const severityMap = (name: string, fallback: Record<string, Severity>): Record<string, Severity> => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const out: Record<string, Severity> = {};
    for (const pair of raw.split(',')) {
      const [from, to] = pair.split('=').map((s) => s?.trim());
      if (!from || !to || !SEVERITIES.has(to)) {
        problems.push(`${name} must look like "P1=P1,high=P2" (targets P1-P4), got "${pair}"`);
        continue;
      }
      out[from] = to as Severity;
    }
    return out;
  };

  const isoTime = (name: string): string | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    const ms = Date.parse(raw);
    if (Number.isNaN(ms)) {
      problems.push(`${name} must be a date or date-time (ISO 8601), got "${raw}"`);
      return undefined;
    }
    return new Date(ms).toISOString();
  };

  const nodeEnv = str('NODE_ENV', 'development')!;
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    problems.push(`NODE_ENV must be development, production or test, got "${nodeEnv}"`);
  }
  const databaseUrl = str('DATABASE_URL', '')!;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(`DATABASE_URL must be a postgres:// URL, got "${databaseUrl}"`);
  }
  if (!databaseUrl && options.requireDatabaseUrl) {
    problems.push('DATABASE_URL is required: the postgres:// URL of Forewarn\'s database (only `npm run dev` starts a database of its own)');
  }
  const port = int('PORT', 3000, 0, 65535);
  const tokens = list('API_TOKENS');
  if (nodeEnv === 'production' && tokens.length === 0 && !str('OIDC_CLIENT_ID')) {
    problems.push('API_TOKENS must list at least one token in production, unless people sign in (OIDC_CLIENT_ID): someone must be able to get in');
  }
  const shortTokens = tokens.filter((t) => t.length < 16);
  if (shortTokens.length > 0) problems.push('API_TOKENS entries must be at least 16 characters long');

  const publicBaseUrl = url('PUBLIC_BASE_URL', `http://127.0.0.1:${port}`)!;
  const oidcClientId = str('OIDC_CLIENT_ID');
  const oidcIssuer = url('OIDC_ISSUER', 'https://slack.com')!;
  const oidcSecret = str('OIDC_CLIENT_SECRET');
  if (oidcClientId && !oidcSecret) problems.push('OIDC_CLIENT_SECRET is required when OIDC_CLIENT_ID is set');
  const insecureIssuer = oidcIssuer.startsWith('http://');
  if (oidcClientId && insecureIssuer && nodeEnv === 'production') problems.push(`OIDC_ISSUER must be an https:// URL in production, got "${oidcIssuer}"`);
  const baselineFrom = isoTime('ESCALATION_BASELINE_FROM');
  const baselineTo = isoTime('ESCALATION_BASELINE_TO');
  const baselineRateRaw = str('ESCALATION_BASELINE_RATE');
  let baselineRate: number | undefined;
  if (baselineRateRaw !== undefined) {
    baselineRate = Number(baselineRateRaw);
    if (!Number.isFinite(baselineRate) || baselineRate <= 0) {
      problems.push(`ESCALATION_BASELINE_RATE must be a positive number (support tickets per affected customer), got "${baselineRateRaw}"`);
      baselineRate = undefined;
    }
  }
  if (Boolean(baselineFrom) !== Boolean(baselineTo)) problems.push('ESCALATION_BASELINE_FROM and ESCALATION_BASELINE_TO are set together (the baseline period)');
  if (baselineFrom && baselineTo && baselineFrom >= baselineTo) problems.push('ESCALATION_BASELINE_FROM must be before ESCALATION_BASELINE_TO');
  if (baselineFrom && baselineRate !== undefined) problems.push('Set either ESCALATION_BASELINE_FROM/TO (a period) or ESCALATION_BASELINE_RATE, not both');
  const csatSecret = str('CSAT_SIGNING_SECRET');
  if (csatSecret && csatSecret.length < 32) problems.push('CSAT_SIGNING_SECRET must be at least 32 characters long');

  const slackBotToken = str('SLACK_BOT_TOKEN');
  const fallbackSender = str('ALERT_FALLBACK_SENDER');
  if (fallbackSender && !/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(fallbackSender)) {
    problems.push(`ALERT_FALLBACK_SENDER must be an email address (a mailbox the Google service account may impersonate), got "${fallbackSender}"`);
  }
  const keyFile = str('GOOGLE_SERVICE_ACCOUNT_KEY_FILE');
  if (keyFile && !existsSync(keyFile)) problems.push(`GOOGLE_SERVICE_ACCOUNT_KEY_FILE points at a missing file: ${keyFile}`);

  const config: Config = {
    env: nodeEnv as Config['env'],
    databaseUrl,
    database: {
      connectTimeoutMs: int('DATABASE_CONNECT_TIMEOUT_MS', 2000, 100, 600_000),
      statementTimeoutMs: int('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 100, 3_600_000),
      queryTimeoutMs: int('DATABASE_QUERY_TIMEOUT_MS', 35_000, 100, 3_600_000),
    },
    temporal: {
      address: str('TEMPORAL_ADDRESS', '127.0.0.1:7233')!,
      namespace: str('TEMPORAL_NAMESPACE', 'default')!,
      taskQueue: str('TEMPORAL_TASK_QUEUE', 'forewarn-incidents')!,
      uiUrl: url('TEMPORAL_UI_URL', 'http://127.0.0.1:8233')!,
    },
    api: {
      host: str('HOST', '127.0.0.1')!,
      port,
      tokens,
      publicBaseUrl,
      bodyLimitBytes: int('BODY_LIMIT_BYTES', 256 * 1024, 1024),
    },
    auth: {
      ...(oidcClientId && oidcSecret ? {
        oidc: {
          issuer: oidcIssuer,
          clientId: oidcClientId,
          clientSecret: oidcSecret,
          redirectUrl: url('OIDC_REDIRECT_URL', `${publicBaseUrl}/auth/callback`)!,
          scopes: str('OIDC_SCOPES', 'openid email profile')!,
          providerName: str('OIDC_PROVIDER_NAME', new URL(oidcIssuer).hostname === 'slack.com' ? 'Slack' : 'single sign-on')!,
          allowInsecureIssuer: insecureIssuer && nodeEnv !== 'production',
        },
      } : {}),
      adminEmails: list('ADMIN_EMAILS').map((e) => e.toLowerCase()),
      sessionTtlMinutes: int('SESSION_TTL_MINUTES', 12 * 60, 1, 30 * 24 * 60),
      tokenSignIn: bool('DASHBOARD_TOKEN_SIGN_IN', !oidcClientId),
    },
    worker: {
      metricsPort: int('WORKER_METRICS_PORT', 9464, 0, 65535),
      healthPort: int('WORKER_HEALTH_PORT', 3001, 0, 65535),
      maxCachedWorkflows: int('WORKER_MAX_CACHED_WORKFLOWS', 150, 10, 1_000_000),
    },
    logLevel: str('LOG_LEVEL', nodeEnv === 'test' ? 'warn' : 'info')!,
    slack: {
      botToken: slackBotToken,
      signingSecret: str('SLACK_SIGNING_SECRET'),
      apiUrl: url('SLACK_API_URL'),
      dryRun: !slackBotToken,
    },
    google: {
      serviceAccountKeyFile: keyFile,
      gmailApiRootUrl: url('GMAIL_API_ROOT_URL'),
      tokenUrl: url('GOOGLE_TOKEN_URL'),
      dryRun: !keyFile,
      sendResolutionEmails: bool('SEND_RESOLUTION_EMAILS', false),
    },
    pagerduty: {
      webhookSecrets: list('PAGERDUTY_WEBHOOK_SECRETS'),
      priorityMap: severityMap('PAGERDUTY_PRIORITY_MAP', DEFAULT_PRIORITY_MAP),
      urgencyMap: severityMap('PAGERDUTY_URGENCY_MAP', DEFAULT_URGENCY_MAP),
    },
    opsgenie: { webhookToken: str('OPSGENIE_WEBHOOK_TOKEN') },
    statuspage: {
      webhookToken: str('STATUSPAGE_WEBHOOK_TOKEN'),
      pageUrl: url('STATUSPAGE_PAGE_URL'),
      apiUrl: url('STATUSPAGE_API_URL'),
      apiKey: str('STATUSPAGE_API_KEY'),
      pageId: str('STATUSPAGE_PAGE_ID'),
      syncEverySeconds: int('STATUSPAGE_SYNC_SECONDS', 60, 10),
    },
    support: {
      webhookToken: str('SUPPORT_WEBHOOK_TOKEN'),
      zendeskWebhookSecret: str('ZENDESK_WEBHOOK_SECRET'),
      threshold: int('SUPPORT_SPIKE_THRESHOLD', 5, 1),
      windowMinutes: int('SUPPORT_SPIKE_WINDOW_MINUTES', 15, 1),
    },
    correlation: { windowMinutes: int('CORRELATION_WINDOW_MINUTES', 30, 0, 24 * 60) },
    metrics: { escalationBaseline: { from: baselineFrom, to: baselineTo, rate: baselineRate } },
    csat: { secret: csatSecret, linkDays: int('CSAT_LINK_DAYS', 30, 1, 365) },
    outreachTracking: {
      // Needs the Gmail key (and the read scope granted to it): without it there is no mailbox to read.
      enabled: Boolean(keyFile) && bool('GMAIL_TRACK_OUTREACH', true),
      everySeconds: int('GMAIL_TRACK_SECONDS', 60, 10, 3600),
      lookbackDays: int('GMAIL_TRACK_DAYS', 14, 1, 90),
    },
    incidents: {
      escalationMinutes: num('ESCALATION_MINUTES', 15),
      updateCadenceMinutes: num('UPDATE_CADENCE_MINUTES', 30),
      followUpHours: num('FOLLOW_UP_HOURS', 24),
      postMortemHours: num('POST_MORTEM_HOURS', 72),
      alertCustomerLimit: int('ALERT_CUSTOMER_LIMIT', 10, 1, 40),
      alertDigest: {
        threshold: int('ALERT_DIGEST_THRESHOLD', 3, 0, 1_000_000),
        windowSeconds: int('ALERT_DIGEST_WINDOW_SECONDS', 120, 1, 86_400),
      },
      alertFallback: { sender: fallbackSender, afterAttempts: int('ALERT_FALLBACK_AFTER_ATTEMPTS', 5, 1, 1000) },
      suspectedAutoCloseMinutes: num('SUSPECTED_AUTO_CLOSE_MINUTES', 120),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Every variable the config module reads; the compose-file test checks against it. */
export const CONFIG_VARIABLES = [
  'NODE_ENV', 'DATABASE_URL', 'DATABASE_CONNECT_TIMEOUT_MS', 'DATABASE_STATEMENT_TIMEOUT_MS', 'DATABASE_QUERY_TIMEOUT_MS', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'TEMPORAL_UI_URL',
  'HOST', 'PORT', 'API_TOKENS', 'PUBLIC_BASE_URL', 'BODY_LIMIT_BYTES',
  'OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URL', 'OIDC_SCOPES', 'OIDC_PROVIDER_NAME', 'ADMIN_EMAILS', 'SESSION_TTL_MINUTES', 'DASHBOARD_TOKEN_SIGN_IN', 'WORKER_METRICS_PORT', 'WORKER_HEALTH_PORT', 'WORKER_MAX_CACHED_WORKFLOWS',
  'LOG_LEVEL', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_API_URL', 'GOOGLE_SERVICE_ACCOUNT_KEY_FILE',
  'GMAIL_API_ROOT_URL', 'GOOGLE_TOKEN_URL', 'SEND_RESOLUTION_EMAILS', 'PAGERDUTY_WEBHOOK_SECRETS',
  'PAGERDUTY_PRIORITY_MAP', 'PAGERDUTY_URGENCY_MAP', 'OPSGENIE_WEBHOOK_TOKEN', 'STATUSPAGE_WEBHOOK_TOKEN',
  'STATUSPAGE_PAGE_URL', 'STATUSPAGE_API_URL', 'STATUSPAGE_API_KEY', 'STATUSPAGE_PAGE_ID', 'STATUSPAGE_SYNC_SECONDS',
  'SUPPORT_WEBHOOK_TOKEN', 'ZENDESK_WEBHOOK_SECRET', 'SUPPORT_SPIKE_THRESHOLD', 'SUPPORT_SPIKE_WINDOW_MINUTES',
  'CORRELATION_WINDOW_MINUTES', 'ESCALATION_MINUTES', 'UPDATE_CADENCE_MINUTES', 'FOLLOW_UP_HOURS', 'POST_MORTEM_HOURS', 'ALERT_CUSTOMER_LIMIT',
  'ALERT_DIGEST_THRESHOLD', 'ALERT_DIGEST_WINDOW_SECONDS', 'ALERT_FALLBACK_SENDER', 'ALERT_FALLBACK_AFTER_ATTEMPTS',
  'ESCALATION_BASELINE_FROM', 'ESCALATION_BASELINE_TO', 'ESCALATION_BASELINE_RATE', 'CSAT_SIGNING_SECRET', 'CSAT_LINK_DAYS',
  'GMAIL_TRACK_OUTREACH', 'GMAIL_TRACK_SECONDS', 'GMAIL_TRACK_DAYS', 'SUSPECTED_AUTO_CLOSE_MINUTES',
] as const;

/** What incident workflows need from the config, passed as their input. */
export function incidentSettings(config: Config): IncidentSettings {
  return {
    escalationMinutes: config.incidents.escalationMinutes,
    updateCadenceMinutes: config.incidents.updateCadenceMinutes,
    followUpHours: config.incidents.followUpHours,
    postMortemHours: config.incidents.postMortemHours,
    sendResolutionEmails: config.google.sendResolutionEmails,
    dashboardUrl: `${config.api.publicBaseUrl}/dashboard`,
    suspectedAutoCloseMinutes: config.incidents.suspectedAutoCloseMinutes,
  };
}
