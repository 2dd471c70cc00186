// Talks to the API as whoever is signed in: a person through the session cookie (the browser sends
// it; changes carry the session's CSRF token), or, in local development, with a pasted API token
// kept in sessionStorage (it survives a reload of this tab and is gone when the tab closes).

const TOKEN_KEY = 'forewarn.token';

export const getToken = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (/** @type {string} */ token) => sessionStorage.setItem(TOKEN_KEY, token);
export const clearToken = () => sessionStorage.removeItem(TOKEN_KEY);

/** The signed-in session's CSRF token (from GET /api/me), sent with every change. */
let csrfToken = /** @type {string | null} */ (null);
export const setCsrfToken = (/** @type {string | null} */ token) => { csrfToken = token; };

/** @param {string | null} token @returns {Record<string, string>} */
function credentials(token) {
  if (token) return { authorization: `Bearer ${token}` };
  return csrfToken ? { 'x-csrf-token': csrfToken } : {};
}

export class ApiError extends Error {
  /** @param {number} status @param {string | undefined} title @param {string | undefined} detail */
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
  }
}

/** What to tell a person whose action failed: the server's reason, or that it could not be reached. */
export const failureText = (/** @type {unknown} */ err) => (err instanceof ApiError ? err.message
  : `Could not reach Forewarn: ${err instanceof Error ? err.message : String(err)}`);

/** Last body and ETag per URL: a poll that finds nothing new gets a 304 and reuses them. */
/** @type {Map<string, { etag: string, data: unknown }>} */
const cache = new Map();

/** @param {Response} res */
async function problemOf(res) {
  try {
    const body = await res.json();
    return new ApiError(res.status, body.title, body.detail);
  } catch {
    return new ApiError(res.status, res.statusText, `The server answered ${res.status} ${res.statusText}`);
  }
}

/**
 * GET JSON; returns { data, changed } where changed is false when the server said 304.
 * @template [T=unknown] @param {string} path @param {string | null} [token]
 * @returns {Promise<{ data: T, changed: boolean }>}
 */
export async function getJson(path, token = getToken()) {
  const cached = cache.get(path);
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', ...credentials(token) };
  if (cached) headers['if-none-match'] = cached.etag;
  const res = await fetch(path, { headers, cache: 'no-store' });
  if (res.status === 304 && cached) return { data: /** @type {T} */ (cached.data), changed: false };
  if (!res.ok) throw await problemOf(res);
  const data = /** @type {T} */ (await res.json());
  const etag = res.headers.get('etag');
  if (etag) cache.set(path, { etag, data });
  return { data, changed: true };
}

/** @param {string} method @param {string} path @param {unknown} [body] @returns {Promise<any>} */
export async function sendJson(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...credentials(getToken()) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw await problemOf(res);
  return res.status === 204 ? null : res.json();
}

/** @param {string} path @param {unknown} body @returns {Promise<any>} */
export const postJson = (path, body) => sendJson('POST', path, body);

export const forgetCache = () => cache.clear();
