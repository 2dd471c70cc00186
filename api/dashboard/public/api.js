// Talks to the API with the signed-in token. The token lives in sessionStorage: it survives a
// reload of this tab and is gone when the tab closes.

const TOKEN_KEY = 'forewarn.token';

export const getToken = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (/** @type {string} */ token) => sessionStorage.setItem(TOKEN_KEY, token);
export const clearToken = () => sessionStorage.removeItem(TOKEN_KEY);

export class ApiError extends Error {
  /** @param {number} status @param {string | undefined} title @param {string | undefined} detail */
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
  }
}

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
  const headers = { accept: 'application/json', authorization: `Bearer ${token}` };
  if (cached) headers['if-none-match'] = cached.etag;
  const res = await fetch(path, { headers, cache: 'no-store' });
  if (res.status === 304 && cached) return { data: /** @type {T} */ (cached.data), changed: false };
  if (!res.ok) throw await problemOf(res);
  const data = /** @type {T} */ (await res.json());
  const etag = res.headers.get('etag');
  if (etag) cache.set(path, { etag, data });
  return { data, changed: true };
}

/** @param {'POST' | 'PUT'} method @param {string} path @param {unknown} [body] @returns {Promise<unknown>} */
export async function sendJson(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', authorization: `Bearer ${getToken()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (!res.ok) throw await problemOf(res);
  return res.status === 204 ? null : res.json();
}

/** @param {string} path @param {unknown} body @returns {Promise<unknown>} */
export const postJson = (path, body) => sendJson('POST', path, body);

export const forgetCache = () => cache.clear();
