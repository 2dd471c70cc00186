// The dashboard's entry point: sign-in (OpenID Connect, or a pasted API token in local
// development), hash routing between views, and live updates by short polling (each view's JSON
// carries an ETag, so an unchanged view costs a 304 and no re-render).
import { ApiError, clearToken, forgetCache, getJson, getToken, sendJson, setCsrfToken, setToken } from './api.js';
import { h } from './dom.js';
import { incidentsView } from './views/incidents.js';
import { detailView } from './views/detail.js';
import { teamView } from './views/team.js';
import { outcomesView } from './views/outcomes.js';
import { outboxView } from './views/outbox.js';
import { templateListView, templateView } from './views/templates.js';
import { auditView } from './views/audit.js';
import { tokensView } from './views/tokens.js';
import { peopleView } from './views/people.js';

/**
 * Each view renders the JSON of its own url, so the route table can hold views of any data type.
 * @typedef {{ pattern: RegExp, view: import('./types').View<any>, nav: string }} Route
 * @typedef {Route & { params: string[], query: import('./types').Query, path: string }} CurrentRoute
 */

/** @type {Route[]} */
const routes = [
  { pattern: /^\/incidents\/([^/]+)$/, view: detailView, nav: 'incidents' },
  { pattern: /^\/team$/, view: teamView, nav: 'team' },
  { pattern: /^\/outcomes$/, view: outcomesView, nav: 'outcomes' },
  { pattern: /^\/outbox$/, view: outboxView, nav: 'outbox' },
  { pattern: /^\/templates$/, view: templateListView, nav: 'templates' },
  { pattern: /^\/templates\/([^/]+)$/, view: templateView, nav: 'templates' },
  { pattern: /^\/audit$/, view: auditView, nav: 'audit' },
  { pattern: /^\/tokens$/, view: tokensView, nav: 'tokens' },
  { pattern: /^\/people$/, view: peopleView, nav: 'people' },
  { pattern: /^\/(incidents)?$/, view: incidentsView, nav: 'incidents' },
];

/** The shell's own elements (rendered by api/dashboard/assets.ts): a missing one is a bug, so fail loudly. */
function $(/** @type {string} */ id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no #${id}`);
  return el;
}
const tokenInput = () => /** @type {HTMLInputElement} */ ($('token'));
const errorMessage = (/** @type {unknown} */ err) => (err instanceof Error ? err.message : String(err));

/** @type {import('./types').Session | null} */
let session = null;
/** @type {import('./types').SignInOptions} */
let signInOptions = { oidc: null, tokenSignIn: true };
const ROLE_LABELS = { admin: 'Admin', manager: 'CS manager', csm: 'CSM' };
/** @type {CurrentRoute | null} */
let current = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let pollTimer;
let generation = 0;

/** @returns {CurrentRoute} */
function parseHash() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, '')) || '/incidents';
  const [path, search = ''] = raw.split('?');
  const query = Object.fromEntries(new URLSearchParams(search));
  for (const route of routes) {
    const m = path.match(route.pattern);
    if (m) return { ...route, params: m.slice(1), query, path };
  }
  return { ...routes[routes.length - 1], params: [], query, path };
}

/** @param {'ok' | 'error'} state @param {string} [detail] */
function setLive(state, detail) {
  const live = $('live');
  live.hidden = false;
  live.dataset.state = state;
  const text = state === 'ok' ? 'Live' : 'Connection lost, retrying…';
  if (live.textContent !== text) live.textContent = text;
  live.title = detail ?? '';
}

/** @param {string} [message] */
function showSignIn(message) {
  stopPolling();
  session = null;
  current = null;
  forgetCache();
  $('nav').hidden = true;
  $('sign-out').hidden = true;
  $('who').hidden = true;
  $('nav-tokens').hidden = true;
  $('nav-people').hidden = true;
  $('live').hidden = true;
  $('view').hidden = true;
  $('view').replaceChildren();
  $('sign-in').hidden = false;
  const { oidc, tokenSignIn } = signInOptions;
  $('sign-in-oidc').hidden = !oidc;
  if (oidc) {
    const link = /** @type {HTMLAnchorElement} */ ($('sign-in-oidc-link'));
    link.href = oidc.signInUrl;
    link.textContent = `Sign in with ${oidc.providerName}`;
  }
  $('sign-in-form').hidden = !tokenSignIn;
  const err = $('sign-in-error');
  const text = message ?? (!oidc && !tokenSignIn ? 'Sign-in is not configured: set OIDC_CLIENT_ID (see docs/deployment.md).' : '');
  err.hidden = !text;
  err.textContent = text;
  tokenInput().value = '';
  if (tokenSignIn) tokenInput().focus();
  else if (oidc) $('sign-in-oidc-link').focus();
}

const expiredMessage = () => (getToken() ? 'Your token is no longer accepted. Sign in again.' : 'Your session has ended. Sign in again.');

function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = undefined;
  generation += 1;
}

function schedulePoll() {
  clearTimeout(pollTimer);
  // A view may poll less often (outcomes aggregate a whole period and change slowly).
  const seconds = Math.max(current?.view.pollSeconds ?? 0, session?.pollSeconds ?? 2);
  pollTimer = setTimeout(() => load({ navigation: false }), seconds * 1000);
}

/** @param {CurrentRoute} route @returns {import('./types').ViewContext} */
function context(route) {
  if (!session) throw new Error('A view is rendered only while signed in');
  return {
    session,
    params: route.params,
    query: route.query,
    /** Changes the view's query (sort, filters, period) without a reload; the hash is the state. */
    setQuery(patch) {
      /** @type {Record<string, string>} */
      const next = {};
      for (const [k, v] of Object.entries({ ...route.query, ...patch })) if (v != null && v !== '') next[k] = v;
      const search = new URLSearchParams(next).toString();
      const path = location.hash.replace(/^#/, '').split('?')[0] || '/incidents';
      location.hash = `#${path}${search ? `?${search}` : ''}`;
    },
    /** After an action (an outreach change), fetch and render at once instead of at the next poll. */
    refresh: () => load({ navigation: false, force: true }),
  };
}

/** Re-renders keep the focused control focused (by its data-focus key), so keyboard users are not thrown back to the top. */
/** @param {CurrentRoute} route @param {unknown} data */
function render(route, data) {
  const view = $('view');
  const active = document.activeElement;
  const focusKey = active instanceof HTMLElement && view.contains(active) ? active.dataset.focus : undefined;
  const node = route.view.render(data, context(route));
  view.replaceChildren(node);
  document.title = `${route.view.title(data)} · Forewarn`;
  if (focusKey) /** @type {HTMLElement | null} */ (view.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`))?.focus({ preventScroll: true });
}

/** @param {{ navigation: boolean, force?: boolean }} options */
async function load({ navigation, force = false }) {
  const route = navigation ? parseHash() : current;
  if (!route || !session) return;
  // Sorting or filtering changes only the query: keep focus where the user is instead of moving it to the heading.
  const newPage = navigation && route.path !== current?.path;
  if (navigation) {
    current = route;
    for (const a of $('nav').querySelectorAll('a')) {
      if (a.dataset.view === route.nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    $('view').setAttribute('aria-busy', 'true');
  }
  const myGeneration = ++generation;
  clearTimeout(pollTimer);
  try {
    const { data, changed } = await getJson(route.view.url(route.params, route.query));
    if (myGeneration !== generation) return; // a newer navigation or refresh took over
    if (changed || navigation || force) render(route, data);
    setLive('ok', `Updated ${new Date().toLocaleTimeString()}`);
    $('view').removeAttribute('aria-busy');
    if (newPage) {
      window.scrollTo(0, 0);
      $('view').querySelector('h1')?.setAttribute('tabindex', '-1');
      $('view').querySelector('h1')?.focus({ preventScroll: true });
    }
  } catch (err) {
    if (myGeneration !== generation) return;
    if (err instanceof ApiError && err.status === 401) {
      const message = expiredMessage();
      clearToken();
      return showSignIn(message);
    }
    if (navigation) {
      $('view').removeAttribute('aria-busy');
      $('view').replaceChildren(h('div', { class: 'error-panel', role: 'alert' },
        h('h1', null, err instanceof ApiError && err.status === 404 ? 'Not found' : 'Could not load this view'),
        h('p', null, errorMessage(err)), h('p', null, h('a', { href: '#/incidents' }, 'Back to incidents'))));
    }
    setLive('error', errorMessage(err));
  }
  if (myGeneration === generation) schedulePoll();
}

/**
 * Starts the page for whoever is signed in: with a token (pasted, or kept for this tab), else the
 * session cookie, if any. No valid credentials: the sign-in choices.
 * @param {string | null} token @param {{ fromForm: boolean }} options
 */
async function startSession(token, { fromForm }) {
  try {
    /** @type {{ data: import('./types').Me }} */
    const { data: me } = await getJson('/api/me', token);
    setCsrfToken(me.csrfToken);
    /** @type {{ data: Omit<import('./types').Session, 'me'> }} */
    const { data } = await getJson('/api/dashboard/session', token);
    session = { ...data, me };
    if (token) setToken(token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      clearToken();
      if (!token) return showSignIn();
      return showSignIn(fromForm ? 'That token was not accepted. Check it against API_TOKENS and try again.'
        : 'Your token is no longer accepted. Sign in again.');
    }
    return showSignIn(`Could not reach Forewarn: ${errorMessage(err)}`);
  }
  const { actor } = session.me;
  $('sign-in').hidden = true;
  $('nav').hidden = false;
  $('nav-tokens').hidden = actor.role !== 'admin';
  $('nav-people').hidden = actor.role !== 'admin';
  $('sign-out').hidden = false;
  const who = $('who');
  who.textContent = `${actor.name}${actor.role ? ` · ${ROLE_LABELS[actor.role]}` : ''}`;
  who.title = actor.email ?? '';
  who.hidden = false;
  $('view').hidden = false;
  await load({ navigation: true });
}

async function signOut() {
  if (session?.me.via === 'session') await sendJson('POST', '/auth/sign-out').catch(() => {});
  setCsrfToken(null);
  clearToken();
  showSignIn('You are signed out.');
}

function init() {
  $('sign-in-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = tokenInput().value.trim();
    if (!token) {
      $('sign-in-error').hidden = false;
      $('sign-in-error').textContent = 'Enter an API token.';
      return;
    }
    void startSession(token, { fromForm: true });
  });
  $('sign-out').addEventListener('click', () => { void signOut(); });
  window.addEventListener('hashchange', () => {
    if (session) void load({ navigation: true });
  });
  void (async () => {
    try {
      signInOptions = /** @type {import('./types').SignInOptions} */ ((await getJson('/auth/options', null)).data);
    } catch {
      // Shown as it was: the token form; the session check below reports an unreachable server.
    }
    await startSession(getToken(), { fromForm: false });
  })();
}

init();
