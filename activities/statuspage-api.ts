/**
 * Reads a status page's incidents, from the public Status API v2 (no key) or the management API (key + page id).
 * - public: `<STATUSPAGE_API_URL or STATUSPAGE_PAGE_URL>/api/v2/incidents/unresolved.json` and `/api/v2/incidents.json`
 *   (the latter is the page's 50 most recent incidents);
 * - management: `<STATUSPAGE_API_URL or https://api.statuspage.io>/v1/pages/<STATUSPAGE_PAGE_ID>/incidents/unresolved`
 *   and `/incidents?limit=50`, with `Authorization: OAuth <STATUSPAGE_API_KEY>`; also sees incidents not published.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../config';
import { parseStatuspageIncidentList, StatuspagePayloadError, type StatuspageIncident } from '../domain/sources/statuspage';

export interface StatuspageReader {
  mode: 'public' | 'management';
  unresolvedUrl: string;
  recentUrl: string;
  headers: Record<string, string>;
}

const MANAGEMENT_API = 'https://api.statuspage.io';
const TIMEOUT_MS = 10_000;

/** How to read the configured page; undefined when no page is configured (the sync then has nothing to do). */
export function statuspageReader(config: Config['statuspage']): StatuspageReader | undefined {
  if (config.apiKey && config.pageId) {
    const base = (config.apiUrl ?? MANAGEMENT_API).replace(/\/v1$/, '');
    const page = `${base}/v1/pages/${encodeURIComponent(config.pageId)}`;
    return {
      mode: 'management',
      unresolvedUrl: `${page}/incidents/unresolved`,
      recentUrl: `${page}/incidents?limit=50`,
      headers: { authorization: `OAuth ${config.apiKey}`, accept: 'application/json' },
    };
  }
  const base = config.apiUrl ?? config.pageUrl;
  if (!base) return undefined;
  const api = base.replace(/\/api\/v2$/, '');
  return {
    mode: 'public',
    unresolvedUrl: `${api}/api/v2/incidents/unresolved.json`,
    recentUrl: `${api}/api/v2/incidents.json`,
    headers: { accept: 'application/json' },
  };
}

/**
 * One incident list. Server errors, 429 and network failures are retryable (the activity's retry policy,
 * then the next tick); any other 4xx, or a body that is not an incident list, is not: retrying cannot fix
 * a wrong key or URL, and the failure says which.
 */
export async function fetchIncidentList(url: string, headers: Record<string, string>): Promise<{
  incidents: StatuspageIncident[]; rejected: { path: string; message: string }[];
}> {
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new Error(`Statuspage unreachable at ${url}: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const detail = `Statuspage answered ${res.status} ${res.statusText} for ${url}`;
    if (res.status >= 500 || res.status === 429) throw new Error(detail);
    throw ApplicationFailure.nonRetryable(`${detail}: check STATUSPAGE_PAGE_URL / STATUSPAGE_API_URL / STATUSPAGE_API_KEY / STATUSPAGE_PAGE_ID`, 'StatuspageConfigError');
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`Statuspage answered ${url} with a body that is not JSON: ${(err as Error).message}`, 'StatuspagePayloadError');
  }
  try {
    return parseStatuspageIncidentList(body);
  } catch (err) {
    if (err instanceof StatuspagePayloadError) throw ApplicationFailure.nonRetryable(`${url}: ${err.message}`, 'StatuspagePayloadError');
    throw err;
  }
}
