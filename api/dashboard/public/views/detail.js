// Incident detail: affected customers (sortable), outreach changed in place through the REST API
// (so the workflow validates it), totals by CSM, timeline and follow-ups.
import { lifecycleButtons } from './incident-actions.js';
import { failureText, postJson, sendJson } from '../api.js';
import { sourcesSection } from './sources.js';
import {
  cell, duration, h, impactBadge, label, moneyEl, outreachBar, rowHeader, secondsBetween, severityBadge, statusBadge, timeEl, usd,
} from '../dom.js';

/** @typedef {import('../types').Detail} Detail */
/** @typedef {import('../types').DetailCustomer} DetailCustomer */
/** @typedef {import('../types').ViewContext} ViewContext */
/** @typedef {import('../types').Query} Query */
/** @typedef {keyof typeof SORTS} SortKey */

const OUTREACH = ['pending', 'drafted', 'sent', 'responded', 'resolution_sent', 'followed_up'];
/** @type {Record<string, string | undefined>} */
const SEGMENTS = { enterprise: 'Enterprise', 'mid-market': 'Mid-market', smb: 'SMB' };

// Sorting and paging happen on the server (an incident can affect thousands of customers); the
// defaults are each column's natural reading order.
/** @type {Record<'priority' | 'name' | 'arr' | 'impact' | 'csm' | 'outreach', { label: string, dir: 'asc' | 'desc' }>} */
const SORTS = {
  priority: { label: 'Priority', dir: 'asc' },
  name: { label: 'Customer', dir: 'asc' },
  arr: { label: 'ARR', dir: 'desc' },
  impact: { label: 'Impact', dir: 'asc' },
  csm: { label: 'CSM', dir: 'asc' },
  outreach: { label: 'Outreach', dir: 'asc' },
};
const PAGE_SIZE = 200;

/** @param {Query} query @returns {{ sort: SortKey, dir: 'asc' | 'desc', page: number }} */
function sortState(query) {
  const sort = query.sort && Object.hasOwn(SORTS, query.sort) ? /** @type {SortKey} */ (query.sort) : 'priority';
  const dir = query.dir === 'desc' || query.dir === 'asc' ? query.dir : SORTS[sort].dir;
  const page = Math.max(0, Number.parseInt(query.page ?? '0', 10) || 0);
  return { sort, dir, page };
}

/** Errors from refused outreach changes stay visible across live re-renders until the next change. */
/** @type {Map<string, string>} */
const rowErrors = new Map();
/** Statuses picked but not saved yet, by customer id. */
/** @type {Map<string, string>} */
const choices = new Map();
/** @type {string | null} */
let flash = null;

/** @param {SortKey} key @param {SortKey} sortKey @param {'asc' | 'desc'} dir @param {ViewContext} ctx */
function sortHeader(key, sortKey, dir, ctx) {
  const active = key === sortKey;
  const nextDir = active ? (dir === 'asc' ? 'desc' : 'asc') : SORTS[key].dir;
  return h('th', { scope: 'col', 'aria-sort': active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none' },
    h('button', {
      type: 'button', class: 'sort', 'data-sort': key, 'data-focus': `sort-${key}`,
      onclick: () => ctx.setQuery({ sort: key, dir: nextDir, page: null }),
    }, SORTS[key].label, h('span', { 'aria-hidden': 'true', class: 'sort-mark' }, active ? (dir === 'asc' ? ' ▲' : ' ▼') : ' ↕')));
}

/** @param {Detail['incident']} incident @param {DetailCustomer} customer @param {string} status @param {ViewContext} ctx */
async function changeOutreach(incident, customer, status, ctx) {
  try {
    await postJson(`/api/incidents/${encodeURIComponent(incident.id)}/customers/${encodeURIComponent(customer.customerId)}/outreach`, { status });
    rowErrors.delete(customer.customerId);
    flash = `${customer.name}: outreach set to ${label(status)}.`;
  } catch (err) {
    const message = failureText(err);
    rowErrors.set(customer.customerId, `${label(status)} refused: ${message}`);
    flash = null;
  }
  choices.delete(customer.customerId);
  await ctx.refresh();
  document.getElementById(`outreach-${customer.customerId}`)?.focus({ preventScroll: true });
}

/**
 * Outreach only moves forward, so a change is saved with an explicit button, never on the select's
 * change event alone (arrow keys on a closed select fire it at every step in some browsers).
 * @param {Detail['incident']} incident @param {DetailCustomer} c @param {ViewContext} ctx @param {string | undefined} error
 */
function outreachForm(incident, c, ctx, error) {
  const selectId = `outreach-${c.customerId}`;
  const chosen = choices.get(c.customerId) ?? c.outreachStatus;
  const save = h('button', { type: 'submit', class: 'save', 'data-focus': `save-${c.customerId}`, hidden: chosen === c.outreachStatus },
    'Save', h('span', { class: 'visually-hidden' }, ` outreach for ${c.name}`));
  const select = h('select', { id: selectId, name: 'status', 'data-focus': selectId, 'aria-describedby': error ? `${selectId}-error` : null },
    OUTREACH.map((st) => h('option', { value: st, selected: st === chosen }, label(st))));
  select.addEventListener('change', () => {
    // Kept across live re-renders until saved or set back.
    if (select.value === c.outreachStatus) choices.delete(c.customerId);
    else choices.set(c.customerId, select.value);
    save.hidden = select.value === c.outreachStatus;
  });
  return h('form', {
    class: 'outreach-form',
    onsubmit: (/** @type {Event} */ e) => {
      e.preventDefault();
      if (select.value === c.outreachStatus) return;
      select.disabled = true;
      save.disabled = true;
      void changeOutreach(incident, c, select.value, ctx);
    },
  }, h('label', { class: 'visually-hidden', for: selectId }, `Outreach status for ${c.name}`), select, ' ', save);
}

/**
 * Whether the signed-in actor may change this customer's outreach (the server decides; this only
 * keeps controls it would refuse out of the way): their own customers for a CSM, their team's for
 * a CS manager, any for an admin.
 * @param {DetailCustomer} c @param {ViewContext} ctx
 */
function mayChange(c, ctx) {
  const scope = ctx.session.me.outreachFor;
  return scope === null || Boolean(c.csm && scope.includes(c.csm.email.toLowerCase()));
}

/** @param {Detail['incident']} incident @param {DetailCustomer} c @param {ViewContext} ctx */
function customerRow(incident, c, ctx) {
  const error = rowErrors.get(c.customerId);
  const selectId = `outreach-${c.customerId}`;
  return h('tr', { 'data-customer-id': c.customerId, class: c.impactLevel === 'none' ? 'no-longer' : null },
    cell('#', String(c.priorityRank)),
    rowHeader('Customer', h('span', { class: 'customer-name' }, c.name),
      h('div', { class: 'muted small' }, `${SEGMENTS[c.segment] ?? c.segment} · ${c.region}`)),
    cell('ARR', h('span', { class: 'arr' }, moneyEl(c.arr))),
    cell('Impact', impactBadge(c.impactLevel)),
    cell('Reason', c.reason),
    cell('Est. impact', h('span', { title: 'Business-impact estimate' }, usd(c.businessImpact))),
    cell('CSM', c.csm ? h('span', { title: c.csm.email }, c.csm.name) : h('span', { class: 'muted' }, 'Unassigned')),
    cell('Outreach',
      mayChange(c, ctx) ? outreachForm(incident, c, ctx, error)
        : h('span', { class: 'read-only', title: 'Only this customer\'s CSM, their manager or an admin can change it' }, label(c.outreachStatus)),
      error ? h('p', { id: `${selectId}-error`, class: 'error small', role: 'alert' }, error) : null,
      c.outreachUpdatedAt ? h('div', { class: 'muted small' }, 'since ', timeEl(c.outreachUpdatedAt)) : null));
}

/** @param {Detail} data @param {ViewContext} ctx @param {number} page */
function pager(data, ctx, page) {
  const shownFrom = page * PAGE_SIZE + 1;
  const shownTo = page * PAGE_SIZE + data.customers.length;
  if (page === 0 && data.customers.length === data.customersTotal) return null;
  return h('nav', { class: 'pager', 'aria-label': 'Customer pages' },
    h('span', null, `Customers ${shownFrom}–${shownTo} of ${data.customersTotal}`),
    page > 0 ? h('button', { type: 'button', 'data-focus': 'prev-page', onclick: () => ctx.setQuery({ page: page > 1 ? String(page - 1) : null }) }, '← Previous') : null,
    shownTo < data.customersTotal ? h('button', { type: 'button', 'data-focus': 'next-page', onclick: () => ctx.setQuery({ page: String(page + 1) }) }, 'Next →') : null);
}

/** @param {Detail} data @param {ViewContext} ctx */
function customersTable(data, ctx) {
  const { sort, dir, page } = sortState(ctx.query);
  if (data.customersTotal === 0) {
    return h('p', { class: 'empty' }, 'No customer uses the affected components (in the affected regions). If that looks wrong, check the components each customer uses in your import file.');
  }
  if (data.customers.length === 0) {
    return h('p', null, `No customers on this page (there are ${data.customersTotal}). `,
      h('button', { type: 'button', class: 'link-like', onclick: () => ctx.setQuery({ page: null }) }, 'Show the first page'));
  }
  const header = (/** @type {SortKey} */ key) => sortHeader(key, sort, dir, ctx);
  return h('div', null,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'customers stack' },
        h('caption', { class: 'visually-hidden' }, `Affected customers, sorted by ${SORTS[sort].label} ${dir === 'asc' ? 'ascending' : 'descending'}`),
        h('thead', null, h('tr', null,
          header('priority'), header('name'), header('arr'), header('impact'), h('th', { scope: 'col' }, 'Reason'),
          h('th', { scope: 'col' }, 'Est. impact'), header('csm'), header('outreach'))),
        h('tbody', null, data.customers.map((c) => customerRow(data.incident, c, ctx))))),
    pager(data, ctx, page));
}

/**
 * How the alert reached the CSM: by Slack, by email when Slack could not deliver it (with Slack's reason), or not at all.
 * @param {Detail['byCsm'][number]['reachedVia']} via @param {string | null} slackError
 */
function reachedEl(via, slackError) {
  const why = slackError ? h('div', { class: 'muted small' }, `Slack: ${slackError}`) : null;
  if (via === 'slack') return 'Slack';
  if (via === 'email') return h('span', null, h('span', { class: 'warn-text' }, 'Email'), why);
  if (via === 'not_reached') return h('span', null, h('span', { class: 'warn-text' }, '✗ not reached'), why);
  return '—';
}

/** @param {Detail['byCsm']} byCsm */
function csmTable(byCsm) {
  if (byCsm.length === 0) return null;
  return h('section', { 'aria-labelledby': 'by-csm' }, h('h2', { id: 'by-csm' }, 'By CSM'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'by-csm stack' },
      h('thead', null, h('tr', null, ['CSM', 'Customers', 'High impact', 'ARR', 'Pending', 'Drafted', 'Sent', 'Responded', 'Alerted', 'Reached', 'Acknowledged']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, byCsm.map((m) => h('tr', null,
        rowHeader('CSM', m.name, m.email ? h('div', { class: 'muted small' }, m.email) : null),
        cell('Customers', String(m.customers)),
        cell('High impact', String(m.highImpact)),
        cell('ARR', moneyEl(m.arr)),
        cell('Pending', String(m.pending)),
        cell('Drafted', String(m.drafted)),
        cell('Sent', String(m.sent)),
        cell('Responded', String(m.responded)),
        cell('Alerted', m.alertedAt ? timeEl(m.alertedAt) : 'not yet'),
        cell('Reached', reachedEl(m.reachedVia, m.slackError)),
        cell('Acknowledged', m.acknowledgedAt ? timeEl(m.acknowledgedAt) : h('span', { class: 'warn-text' }, '✗ not yet'))))))));
}

/** @param {Detail['timeline']} items @param {number} total @param {Detail['followUps']} followUps */
function timeline(items, total, followUps) {
  return h('section', { 'aria-labelledby': 'timeline-title', class: 'timeline-section' },
    h('h2', { id: 'timeline-title' }, 'Timeline'),
    total > items.length ? h('p', { class: 'muted small' }, `The latest ${items.length} of ${total} entries.`) : null,
    items.length === 0 ? h('p', { class: 'muted' }, 'Nothing recorded yet.')
      : h('ol', { class: 'timeline' }, items.map((t) => h('li', { class: `tl-${t.kind}` },
        timeEl(t.occurredAt), ' ', h('span', { class: 'tl-kind' }, label(t.kind)), ' ', h('span', null, t.summary),
        t.actor ? h('span', { class: 'muted' }, ` — ${t.actor}`) : null))),
    followUps.length ? h('div', null, h('h3', null, 'Follow-ups'), h('ul', { class: 'follow-ups' }, followUps.map((f) => h('li', null,
      h('span', { class: `badge fu-${f.status}` }, label(f.status)), ' ', label(f.kind), f.csmEmail ? ` for ${f.csmEmail}` : '',
      ' · due ', timeEl(f.dueAt), f.doneAt ? [' · done ', timeEl(f.doneAt)] : null)))) : null);
}

/**
 * Postgres refused part of the incident's data: that event or deadline work was skipped and the
 * incident carried on. Shown until the incident ends, so nobody trusts a gap they cannot see.
 * @param {Detail['incident']['lastProblem']} problem
 */
function problemNotice(problem) {
  if (!problem) return null;
  const more = problem.count > 1 ? ` ${problem.count} problems so far.` : '';
  return h('p', { class: 'notice problem' },
    `Forewarn could not process part of this incident: ${problem.message} (`, timeEl(problem.at), `).${more}`);
}

/** The post-mortem link typed but not saved yet, and the answer to the last save. */
let postMortemInput = '';
/** @type {string | null} */
let postMortemError = null;

/**
 * The post-mortem: its link (and who set it), and a form to link or replace it. "View Post-Mortem"
 * in Slack appears only once it is linked; the 3-day reminder asks the incident's owner for it.
 * @param {Detail['incident']} i @param {ViewContext} ctx
 */
function postMortemSection(i, ctx) {
  const pm = i.postMortem;
  /** @type {HTMLInputElement} */
  const input = h('input', {
    type: 'url', id: 'post-mortem-url', name: 'url', required: true, 'data-focus': 'post-mortem-url', placeholder: 'https://…',
    value: postMortemInput, oninput: () => { postMortemInput = input.value; },
  });
  const save = async () => {
    try {
      await sendJson('PUT', `/api/incidents/${encodeURIComponent(i.id)}/post-mortem`, { url: input.value.trim() });
      postMortemInput = '';
      postMortemError = null;
      flash = 'Post-mortem linked.';
    } catch (err) {
      postMortemError = failureText(err);
    }
    await ctx.refresh();
  };
  return h('section', { class: 'post-mortem', 'aria-labelledby': 'post-mortem-title' },
    h('h2', { id: 'post-mortem-title' }, 'Post-mortem'),
    pm ? h('p', null, h('a', { href: pm.url, target: '_blank', rel: 'noopener noreferrer', class: 'post-mortem-link' }, pm.url),
      h('span', { class: 'muted small' }, ` — linked by ${pm.setBy ?? 'the source'}`, pm.setAt ? [' ', timeEl(pm.setAt)] : null))
      : h('p', { class: 'muted' }, i.status === 'resolved'
        ? `None linked yet. Three days after resolution ${i.ownerEmail ? `its owner (${i.ownerEmail})` : 'the CS managers of its CSMs'} are asked for it.`
        : 'None yet: link it once it is written.'),
    h('form', { class: 'post-mortem-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); void save(); } },
      h('label', { for: 'post-mortem-url' }, pm ? 'Replace the link' : 'Link the post-mortem'), ' ', input, ' ',
      h('button', { type: 'submit', 'data-focus': 'post-mortem-save' }, 'Save link')),
    postMortemError ? h('p', { class: 'error small', role: 'alert' }, postMortemError) : null);
}

const plural = (/** @type {number} */ n, /** @type {string} */ word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Support tickets from affected customers while it ran: the ones before their CSM's first contact are the escalations to avoid. */
function escalationsText(/** @type {Detail['outcomes']['escalations']} */ e) {
  if (e.tickets === 0) return 'No support tickets from affected customers';
  return `${plural(e.tickets, 'support ticket')} from ${plural(e.customers, 'affected customer')}: ${e.beforeContact} before their CSM's first contact, ${e.afterContact} after`;
}

/** The ratings from the resolution email's one-click links, against the goal. */
function csatText(/** @type {Detail['outcomes']['csat']} */ c, /** @type {boolean} */ open) {
  if (c.average == null) return open ? 'Asked for in the resolution email' : 'No ratings yet';
  return `${c.average.toFixed(1)} / 5 from ${plural(c.ratings, 'rating')} (goal ${c.goal.toFixed(1)} or more) ${c.average >= c.goal ? '✓' : '✗'}`;
}

/** @type {import('../types').View<Detail>} */
export const detailView = {
  title: (data) => data.incident.title,
  url: (params, query) => {
    const { sort, dir, page } = sortState(query);
    const csm = query.csm ? `&csm=${encodeURIComponent(query.csm)}` : '';
    return `/api/dashboard/incidents/${encodeURIComponent(params[0])}?sort=${sort}&dir=${dir}&limit=${PAGE_SIZE}&offset=${page * PAGE_SIZE}${csm}`;
  },
  render(data, ctx) {
    const i = data.incident;
    const open = i.status !== 'resolved';
    const fact = (/** @type {string} */ term, /** @type {import('../types').Child[]} */ ...desc) => h('div', { class: 'fact' }, h('dt', null, term), h('dd', null, ...desc));
    const message = flash;
    flash = null;
    return h('div', { class: 'detail' },
      h('p', { class: 'breadcrumb' }, h('a', { href: '#/incidents' }, '← All incidents')),
      h('div', { class: 'page-header' }, h('h1', null, i.title), h('div', { class: 'badges' }, severityBadge(i.severity), ' ', statusBadge(i.status))),
      lifecycleButtons(i, ctx),
      message ? h('p', { class: 'flash', role: 'status' }, message) : h('p', { class: 'flash', role: 'status', hidden: true }),
      problemNotice(i.lastProblem),
      h('dl', { class: 'facts' },
        fact('ARR at risk', h('span', { class: 'arr' }, moneyEl(i.arrAtRisk))),
        fact('Business-impact estimate', usd(i.businessImpact)),
        fact('Customers affected', String(i.affectedCustomers)),
        fact('Outreach', outreachBar(i.outreach)),
        fact('Customer escalations', escalationsText(data.outcomes.escalations)),
        fact('Customer rating (CSAT)', csatText(data.outcomes.csat, open)),
        fact('Started', timeEl(i.startedAt)),
        fact(open ? 'Running for' : 'Duration', duration(secondsBetween(i.startedAt, i.resolvedAt ?? new Date().toISOString()))),
        fact('CSMs alerted in', i.lastCsmAlertAt ? duration(secondsBetween(i.detectedAt, i.lastCsmAlertAt)) : 'not yet'),
        fact(i.linkedSources.length > 1 ? 'Sources' : 'Source', i.linkedSources.length > 1 ? `${i.linkedSources.length} linked (below)` : `${i.source} · ${i.externalId}`),
        fact('Components', i.components.join(', ') || '—'),
        i.regions.length ? fact('Regions', i.regions.join(', ')) : null,
        fact('Links', h('span', { class: 'links' },
          i.statusPageUrl ? h('a', { href: i.statusPageUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Status page') : null,
          i.slackUrl ? h('a', { href: i.slackUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Slack channel')
            : i.slackChannelId?.startsWith('dry-run:') ? h('span', { class: 'muted' }, `#${i.slackChannelId.slice(8)} (dry run)`) : null,
          h('a', { href: i.temporalUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Workflow in Temporal')))),
      i.latestMessage ? h('blockquote', { class: 'latest' }, h('span', { class: 'muted small' }, 'Latest public update'), h('p', null, i.latestMessage)) : null,
      i.description ? h('p', { class: 'description' }, i.description) : null,
      postMortemSection(i, ctx),
      sourcesSection(data, ctx),
      h('section', { 'aria-labelledby': 'customers-title' },
        h('h2', { id: 'customers-title' }, ctx.query.csm ? `Customers of ${ctx.query.csm} (${data.customersTotal})` : `Affected customers (${i.affectedCustomers})`),
        ctx.query.csm ? h('p', { class: 'small' }, h('button', { type: 'button', class: 'link-like', onclick: () => ctx.setQuery({ csm: null, page: null }) }, 'Show every CSM\'s customers')) : null,
        h('p', { class: 'muted small' }, 'Estimated business impact uses ARR, impact level, severity and duration. Change outreach here; invalid changes are refused with the reason.'),
        customersTable(data, ctx)),
      csmTable(data.byCsm),
      timeline(data.timeline, data.timelineTotal, data.followUps));
  },
};
