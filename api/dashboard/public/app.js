// The dashboard's entry point: sign-in, hash routing between views, and live updates by short
// polling (each view's JSON carries an ETag, so an unchanged view costs a 304 and no re-render).
import { ApiError, clearToken, forgetCache, getJson, getToken, setToken } from './api.js';
import { h } from './dom.js';
import { incidentsView } from './views/incidents.js';
import { detailView } from './views/detail.js';
import { teamView } from './views/team.js';
import { outcomesView } from './views/outcomes.js';
import { outboxView } from './views/outbox.js';

const routes = [
  { pattern: /^\/incidents\/([^/]+)$/, view: detailView, nav: 'incidents' },
  { pattern: /^\/team$/, view: teamView, nav: 'team' },
  { pattern: /^\/outcomes$/, view: outcomesView, nav: 'outcomes' },
  { pattern: /^\/outbox$/, view: outboxView, nav: 'outbox' },
  { pattern: /^\/(incidents)?$/, view: incidentsView, nav: 'incidents' },
];

const $ = (id) => document.getElementById(id);
let session = null;
let current = null; // { view, params, query, path }
let pollTimer = null;
let generation = 0;

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

function setLive(state, detail) {
  const live = $('live');
  live.hidden = false;
  live.dataset.state = state;
  const text = state === 'ok' ? 'Live' : 'Connection lost, retrying…';
  if (live.textContent !== text) live.textContent = text;
  live.title = detail ?? '';
}

function showSignIn(message) {
  stopPolling();
  session = null;
  current = null;
  forgetCache();
  $('nav').hidden = true;
  $('sign-out').hidden = true;
  $('live').hidden = true;
  $('view').hidden = true;
  $('view').replaceChildren();
  $('sign-in').hidden = false;
  const err = $('sign-in-error');
  err.hidden = !message;
  err.textContent = message ?? '';
  $('token').value = '';
  $('token').focus();
}

function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = null;
  generation += 1;
}

function schedulePoll() {
  clearTimeout(pollTimer);
  // A view may poll less often (outcomes aggregate a whole period and change slowly).
  const seconds = Math.max(current?.view.pollSeconds ?? 0, session?.pollSeconds ?? 2);
  pollTimer = setTimeout(() => load({ navigation: false }), seconds * 1000);
}

function context(route) {
  return {
    session,
    params: route.params,
    query: route.query,
    /** Changes the view's query (sort, filters, period) without a reload; the hash is the state. */
    setQuery(patch) {
      const next = { ...route.query, ...patch };
      for (const k of Object.keys(next)) if (next[k] == null || next[k] === '') delete next[k];
      const search = new URLSearchParams(next).toString();
      const path = location.hash.replace(/^#/, '').split('?')[0] || '/incidents';
      location.hash = `#${path}${search ? `?${search}` : ''}`;
    },
    /** After an action (an outreach change), fetch and render at once instead of at the next poll. */
    refresh: () => load({ navigation: false, force: true }),
  };
}

/** Re-renders keep the focused control focused (by its data-focus key), so keyboard users are not thrown back to the top. */
function render(route, data) {
  const view = $('view');
  const active = document.activeElement;
  const focusKey = active && view.contains(active) ? active.dataset.focus : undefined;
  const node = route.view.render(data, context(route));
  view.replaceChildren(node);
  document.title = `${route.view.title(data)} · Forewarn`;
  if (focusKey) view.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`)?.focus({ preventScroll: true });
}

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
      clearToken();
      return showSignIn('Your token is no longer accepted. Sign in again.');
    }
    if (navigation) {
      $('view').removeAttribute('aria-busy');
      $('view').replaceChildren(h('div', { class: 'error-panel', role: 'alert' },
        h('h1', null, err instanceof ApiError && err.status === 404 ? 'Not found' : 'Could not load this view'),
        h('p', null, err.message), h('p', null, h('a', { href: '#/incidents' }, 'Back to incidents'))));
    }
    setLive('error', err.message);
  }
  if (myGeneration === generation) schedulePoll();
}

async function startSession(token, { fromForm }) {
  try {
    const { data } = await getJson('/api/dashboard/session', token);
    session = data;
    setToken(token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      clearToken();
      return showSignIn(fromForm ? 'That token was not accepted. Check it against API_TOKENS and try again.'
        : 'Your token is no longer accepted. Sign in again.');
    }
    return showSignIn(`Could not reach Forewarn: ${err.message}`);
  }
  $('sign-in').hidden = true;
  $('nav').hidden = false;
  $('sign-out').hidden = false;
  $('view').hidden = false;
  await load({ navigation: true });
}

function init() {
  $('sign-in-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token').value.trim();
    if (!token) {
      $('sign-in-error').hidden = false;
      $('sign-in-error').textContent = 'Enter an API token.';
      return;
    }
    void startSession(token, { fromForm: true });
  });
  $('sign-out').addEventListener('click', () => {
    clearToken();
    showSignIn();
  });
  window.addEventListener('hashchange', () => {
    if (session) void load({ navigation: true });
  });
  const token = getToken();
  if (token) void startSession(token, { fromForm: false });
  else showSignIn();
}

init();
