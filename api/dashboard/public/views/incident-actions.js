// People steering incidents from the dashboard: declare one, resolve it, dismiss a suspected one as a
// false alarm. The same REST routes as any client; the server records who and refuses with the reason.
// Anyone signed in may declare; resolving and dismissing are offered only to those the server lets steer
// incidents (GET /api/me `mayManageIncidents`: CS managers, admins, integration tokens with write scope).
import { failureText, postJson } from '../api.js';
import { h } from '../dom.js';

const SEVERITIES = ['P1', 'P2', 'P3', 'P4'];

/** The answer to the last action, shown once beside its form. @type {{ ok: boolean, text: string } | null} */
let outcome = null;

/**
 * @template T
 * @param {() => Promise<T>} call @param {string | ((result: T) => string)} done @param {import('../types').ViewContext} ctx
 * @param {(result: T) => string | null} [goTo] the page to show the answer on (a hash), if not this one
 */
async function act(call, done, ctx, goTo) {
  try {
    const result = await call();
    outcome = { ok: true, text: typeof done === 'string' ? done : done(result) };
    const target = goTo?.(result);
    // The page there renders the answer (outcomeLine); hashchange loads it.
    if (target && location.hash !== target) { location.hash = target; return; }
  } catch (err) {
    outcome = { ok: false, text: failureText(err) };
  }
  await ctx.refresh();
}

/** Whether the signed-in actor may resolve, dismiss, change, merge and split incidents (the server decides). @param {import('../types').ViewContext} ctx */
export const mayManageIncidents = (ctx) => ctx.session.me.mayManageIncidents;

function outcomeLine() {
  const o = outcome;
  outcome = null;
  return o ? h('p', { class: o.ok ? 'flash small' : 'error small', role: o.ok ? 'status' : 'alert' }, o.text) : null;
}

/** "Declare incident": severity, components (comma-separated keys) and a title. @param {import('../types').ViewContext} ctx */
export function declareForm(ctx) {
  const severity = h('select', { id: 'declare-severity', name: 'severity' }, SEVERITIES.map((s) => h('option', { value: s }, s)));
  const components = h('input', { id: 'declare-components', name: 'components', required: true, placeholder: 'api-gateway, checkout' });
  const title = h('input', { id: 'declare-title', name: 'title', required: true, maxlength: '500', placeholder: 'What customers see' });
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    const body = {
      title: /** @type {HTMLInputElement} */ (title).value.trim(),
      severity: /** @type {HTMLSelectElement} */ (severity).value,
      affectedComponents: /** @type {HTMLInputElement} */ (components).value.split(',').map((c) => c.trim()).filter(Boolean),
    };
    // An overlapping open incident is joined rather than doubled: the person is sent to it.
    void act(() => /** @type {Promise<import('../types').Declared>} */ (postJson('/api/incidents', body)),
      (r) => (r.joined ? `Joined the open incident "${r.title}": your declaration overlaps it, so no second incident was opened and nobody is alerted twice.`
        : `Declared "${body.title}": affected CSMs are being alerted.`),
      ctx, (r) => (r.joined ? `#/incidents/${encodeURIComponent(r.incidentId)}` : null));
  };
  return h('details', { class: 'declare' },
    h('summary', null, 'Declare an incident'),
    h('form', { class: 'declare-form', onsubmit: submit },
      h('label', { for: 'declare-severity' }, 'Severity'), ' ', severity, ' ',
      h('label', { for: 'declare-components' }, 'Components'), ' ', components, ' ',
      h('label', { for: 'declare-title' }, 'Title'), ' ', title, ' ',
      h('button', { type: 'submit', 'data-focus': 'declare-submit' }, 'Declare')),
    outcomeLine());
}

/**
 * Resolve (an open incident) and dismiss as a false alarm (the server refuses a confirmed one, saying why), for
 * those who may; the answer to the last action (a declaration that joined this incident too) for everyone.
 * @param {{ id: string, status: string, mergedInto?: unknown }} i @param {import('../types').ViewContext} ctx
 */
export function lifecycleButtons(i, ctx) {
  if (i.status === 'resolved' || i.status === 'dismissed' || i.mergedInto || !mayManageIncidents(ctx)) return outcomeLine();
  const path = (/** @type {string} */ action) => `/api/incidents/${encodeURIComponent(i.id)}/${action}`;
  return h('div', { class: 'incident-actions' },
    h('button', { type: 'button', 'data-focus': 'resolve-incident', onclick: () => void act(() => postJson(path('resolve'), {}), 'Resolved: resolution DMs and emails follow.', ctx) }, 'Resolve'), ' ',
    h('button', { type: 'button', 'data-focus': 'dismiss-incident', onclick: () => void act(() => postJson(path('dismiss'), {}), 'Dismissed as a false alarm: alerted CSMs are told.', ctx) }, 'Dismiss as false alarm'),
    outcomeLine());
}
