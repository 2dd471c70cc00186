// People steering incidents from the dashboard: declare one, resolve it, dismiss a suspected one as a
// false alarm. The same REST routes as any client; the server records who and refuses with the reason.
import { postJson } from '../api.js';
import { h } from '../dom.js';

const SEVERITIES = ['P1', 'P2', 'P3', 'P4'];

/** The answer to the last action, shown once beside its form. @type {{ ok: boolean, text: string } | null} */
let outcome = null;

/** @param {() => Promise<unknown>} call @param {string} done @param {import('../types').ViewContext} ctx */
async function act(call, done, ctx) {
  try {
    await call();
    outcome = { ok: true, text: done };
  } catch (err) {
    outcome = { ok: false, text: err instanceof Error ? err.message : String(err) };
  }
  await ctx.refresh();
}

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
    void act(() => postJson('/api/incidents', body), `Declared "${body.title}": affected CSMs are being alerted.`, ctx);
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
 * Resolve (an open incident) and dismiss as a false alarm (the server refuses a confirmed one, saying why).
 * @param {{ id: string, status: string, mergedInto?: unknown }} i @param {import('../types').ViewContext} ctx
 */
export function lifecycleButtons(i, ctx) {
  if (i.status === 'resolved' || i.status === 'dismissed' || i.mergedInto) return outcomeLine();
  const path = (/** @type {string} */ action) => `/api/incidents/${encodeURIComponent(i.id)}/${action}`;
  return h('div', { class: 'incident-actions' },
    h('button', { type: 'button', 'data-focus': 'resolve-incident', onclick: () => void act(() => postJson(path('resolve'), {}), 'Resolved: resolution DMs and emails follow.', ctx) }, 'Resolve'), ' ',
    h('button', { type: 'button', 'data-focus': 'dismiss-incident', onclick: () => void act(() => postJson(path('dismiss'), {}), 'Dismissed as a false alarm: alerted CSMs are told.', ctx) }, 'Dismiss as false alarm'),
    outcomeLine());
}
