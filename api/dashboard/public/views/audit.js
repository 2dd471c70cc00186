// Audit: who did what, newest first (GET /api/audit), filtered by actor, action and incident.
import { cell, emptyState, h, pageHeader, rowHeader, timeEl } from '../dom.js';

const KIND_LABELS = { person: 'Person', token: 'API token', slack: 'Slack', system: 'Forewarn' };
const FILTERS = [['actor', 'Actor', 'name, email or id'], ['action', 'Action', 'e.g. outreach.changed'], ['incidentId', 'Incident', 'incident id']];

/** @param {import('../types').ViewContext} ctx */
function filters(ctx) {
  const inputs = FILTERS.map(([key, lbl, hint]) => {
    const input = /** @type {HTMLInputElement} */ (h('input', { id: `audit-${key}`, name: key, value: ctx.query[key] ?? '', placeholder: hint, 'data-focus': `audit-${key}`, spellcheck: 'false' }));
    return { key, input, nodes: [h('label', { for: `audit-${key}` }, lbl), input] };
  });
  return h('form', {
    class: 'filters', role: 'search', 'aria-label': 'Filter the audit log',
    onsubmit: (/** @type {Event} */ e) => {
      e.preventDefault();
      ctx.setQuery({ ...Object.fromEntries(inputs.map((i) => [i.key, i.input.value.trim() || null])), before: null });
    },
  }, inputs.map((i) => i.nodes), h('button', { type: 'submit' }, 'Filter'));
}

/** @param {Record<string, unknown>} detail */
function detailText(detail) {
  const entries = Object.entries(detail);
  return entries.length ? entries.map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' · ') : '';
}

/** @param {import('../types').AuditEntry} e */
function row(e) {
  return h('tr', { 'data-audit-id': String(e.id), 'data-action': e.action },
    rowHeader('When', timeEl(e.at)),
    cell('Who', h('span', { class: 'audit-actor' }, e.actor.name), h('div', { class: 'muted small' }, KIND_LABELS[e.actor.kind] ?? e.actor.kind)),
    cell('Action', h('code', null, e.action)),
    cell('Incident', e.incidentId ? h('a', { href: `#/incidents/${encodeURIComponent(e.incidentId)}` }, 'incident') : '—'),
    cell('Target', e.target ?? '—'),
    cell('Detail', h('span', { class: 'audit-detail' }, detailText(e.detail))));
}

/** @type {import('../types').View<import('../types').AuditPage>} */
export const auditView = {
  title: () => 'Audit',
  url: (_params, query) => {
    const q = new URLSearchParams();
    for (const k of ['actor', 'action', 'incidentId', 'before']) if (query[k]) q.set(k, query[k]);
    const s = q.toString();
    return `/api/audit${s ? `?${s}` : ''}`;
  },
  render(data, ctx) {
    return h('div', null,
      pageHeader('Audit log', filters(ctx)),
      h('p', { class: 'muted small' }, 'Every change — outreach, acknowledgements, templates, imports, incident actions, tokens, sign-ins — with who made it, newest first.'),
      ctx.query.before ? h('p', null, h('a', { href: '#/audit' }, '← Newest changes')) : null,
      data.items.length === 0
        ? emptyState('Nothing on record', h('p', null, Object.keys(ctx.query).some((k) => ctx.query[k]) ? 'No change matches these filters.' : 'Changes appear here as people and integrations make them.'))
        : h('div', { class: 'table-wrap' }, h('table', { class: 'audit stack' },
          h('thead', null, h('tr', null, ['When', 'Who', 'Action', 'Incident', 'Target', 'Detail'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, data.items.map(row)))),
      data.nextBefore ? h('p', null, h('a', { href: '#', onclick: (/** @type {Event} */ e) => { e.preventDefault(); ctx.setQuery({ before: String(data.nextBefore) }); } }, 'Older changes →')) : null);
  },
};
