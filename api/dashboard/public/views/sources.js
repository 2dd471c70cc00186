// Correlation on the incident page: the source incidents that feed it (each with its own status and
// latest event), a control to split one out, and a control to merge another open incident into this
// one. Both go through the REST API (api/incident-correlation.ts), which moves routes and tells the workflows;
// they are offered only to those who may steer incidents (CS managers, admins: GET /api/me `mayManageIncidents`).
import { failureText, postJson } from '../api.js';
import { h, label, severityBadge, statusBadge, timeEl } from '../dom.js';

/** @typedef {import('../types').Detail} Detail */
/** @typedef {import('../types').ViewContext} ViewContext */

/** @type {Record<string, string>} */
export const SOURCE_LABELS = {
  pagerduty: 'PagerDuty', opsgenie: 'Opsgenie', statuspage: 'Statuspage', support: 'Support tickets', generic: 'Monitoring', manual: 'A person',
};
export const sourceLabel = (/** @type {string} */ source) => SOURCE_LABELS[source] ?? label(source);

/** What the last merge or split said (shown once, then cleared). */
let notice = /** @type {{ text: string, error: boolean } | null} */ (null);

/** @param {string} path @param {unknown} body @param {string} done @param {ViewContext} ctx */
async function act(path, body, done, ctx) {
  try {
    await postJson(path, body);
    notice = { text: done, error: false };
  } catch (err) {
    notice = { text: failureText(err), error: true };
  }
  await ctx.refresh();
  document.getElementById('sources-title')?.focus({ preventScroll: true });
}

/** @param {Detail} data @param {ViewContext} ctx */
function mergeForm(data, ctx) {
  const i = data.incident;
  if (data.mergeCandidates.length === 0) return h('p', { class: 'muted small' }, 'No other open incident to merge into this one.');
  const select = h('select', { id: 'merge-incident', name: 'incident', 'data-focus': 'merge-incident' },
    h('option', { value: '' }, 'Choose an open incident…'),
    data.mergeCandidates.map((m) => h('option', { value: m.id }, `${m.severity} · ${m.title} (${sourceLabel(m.source)} ${m.externalId})`)));
  const button = h('button', { type: 'submit', class: 'merge', 'data-focus': 'merge-button' }, 'Merge into this incident');
  return h('form', {
    class: 'merge-form',
    onsubmit: (/** @type {Event} */ e) => {
      e.preventDefault();
      const chosen = data.mergeCandidates.find((m) => m.id === select.value);
      if (!chosen) return;
      button.disabled = true;
      void act(`/api/incidents/${encodeURIComponent(i.id)}/merge`, { incidentId: chosen.id },
        `"${chosen.title}" is being merged into this incident: its sources and CSMs follow, nobody is alerted twice.`, ctx);
    },
  }, h('label', { for: 'merge-incident' }, 'Merge another incident into this one: '), select, ' ', button);
}

/** @param {Detail} data @param {ViewContext} ctx */
export function sourcesSection(data, ctx) {
  const i = data.incident;
  const shown = notice;
  notice = null;
  if (i.mergedInto) {
    return h('p', { class: 'notice merged' }, 'Merged into ',
      h('a', { href: `#/incidents/${encodeURIComponent(i.mergedInto.incidentId)}` }, i.mergedInto.title ?? i.mergedInto.workflowId),
      ': that incident follows its sources and CSMs from now on.');
  }
  const sources = i.linkedSources;
  const open = i.status !== 'resolved' && i.status !== 'dismissed';
  const steer = open && ctx.session.me.mayManageIncidents;
  return h('section', { 'aria-labelledby': 'sources-title', class: 'sources-section' },
    h('h2', { id: 'sources-title', tabindex: '-1' }, sources.length > 1 ? `Sources (${sources.length})` : 'Source'),
    shown ? h('p', { class: shown.error ? 'error' : 'flash', role: shown.error ? 'alert' : 'status' }, shown.text) : null,
    sources.length === 0
      ? h('p', null, `${sourceLabel(i.source)} · ${i.externalId}`)
      : h('div', { class: 'table-wrap' }, h('table', { class: 'sources stack' },
        h('thead', null, h('tr', null, ['Source', 'Title', 'Status', 'Severity', 'Components', 'Last update', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, sources.map((s) => {
          const own = s.source === i.source && s.externalId === i.externalId;
          return h('tr', { 'data-source': `${s.source}:${s.externalId}` },
            h('th', { scope: 'row', 'data-label': 'Source' }, sourceLabel(s.source), h('div', { class: 'muted small' }, s.externalId),
              s.suspected ? h('div', { class: 'muted small' }, 'suspected (support spike)') : null,
              s.mergedFrom ? h('div', { class: 'muted small' }, 'merged in') : null),
            h('td', { 'data-label': 'Title' }, s.title),
            h('td', { 'data-label': 'Status' }, statusBadge(s.status)),
            h('td', { 'data-label': 'Severity' }, severityBadge(s.severity)),
            h('td', { 'data-label': 'Components' }, s.components.join(', ') || '—'),
            h('td', { 'data-label': 'Last update' }, timeEl(s.lastEventAt)),
            h('td', { 'data-label': '' }, own || !steer || s.source === 'manual' ? null : h('button', {
              type: 'button', class: 'split', 'data-focus': `split-${s.source}-${s.externalId}`,
              onclick: (/** @type {Event} */ e) => {
                /** @type {HTMLButtonElement} */ (e.currentTarget).disabled = true;
                void act(`/api/incidents/${encodeURIComponent(i.id)}/split`, { source: s.source, externalId: s.externalId },
                  `${sourceLabel(s.source)} ${s.externalId} is split out into its own incident.`, ctx);
              },
            }, 'Split out', h('span', { class: 'visually-hidden' }, ` ${sourceLabel(s.source)} ${s.externalId}`))));
        })))),
    steer ? mergeForm(data, ctx) : null);
}
