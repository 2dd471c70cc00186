// Incidents: open first (most severe, newest), then recently resolved.
import { declareForm } from './incident-actions.js';
import { sourceLabel } from './sources.js';
import {
  cell, code, duration, emptyState, h, moneyEl, outreachBar, pageHeader, rowHeader, secondsBetween, severityBadge, statusBadge, timeEl,
} from '../dom.js';

/** @param {import('../types').IncidentSummary} i */
function links(i) {
  /** @type {HTMLElement[]} */
  const items = [];
  if (i.statusPageUrl) items.push(h('a', { href: i.statusPageUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Status page'));
  if (i.slackUrl) items.push(h('a', { href: i.slackUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Slack channel'));
  else if (i.slackChannelId?.startsWith('dry-run:')) items.push(h('span', { class: 'muted' }, `#${i.slackChannelId.slice(8)} (dry run)`));
  items.push(h('a', { href: i.temporalUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Workflow'));
  return h('span', { class: 'links' }, items);
}

/** Neither closed nor merged into another incident. @param {import('../types').IncidentSummary} i */
const isOpen = (i) => i.status !== 'resolved' && i.status !== 'dismissed' && !i.mergedInto;

/** @param {import('../types').IncidentSummary} i */
function row(i) {
  const now = new Date().toISOString();
  const open = isOpen(i);
  return h('tr', { 'data-incident-id': i.id, class: open ? 'open' : 'resolved' },
    cell('Severity', severityBadge(i.severity)),
    cell('Status', statusBadge(i.status)),
    rowHeader('Incident',
      h('a', { href: `#/incidents/${encodeURIComponent(i.id)}`, class: 'incident-title' }, i.title),
      h('div', { class: 'muted small' }, `${i.source} · ${i.externalId}`),
      // Correlation: several sources feed it, or it was merged into another incident.
      i.linkedSources.length > 1 ? h('div', { class: 'sources-line small' }, `${i.linkedSources.length} sources: `,
        i.linkedSources.map((s) => sourceLabel(s.source)).join(' · ')) : null,
      i.mergedInto ? h('div', { class: 'merged-line small' }, 'Merged into ',
        h('a', { href: `#/incidents/${encodeURIComponent(i.mergedInto.incidentId)}` }, i.mergedInto.title ?? i.mergedInto.workflowId)) : null),
    cell('Started', timeEl(i.startedAt)),
    cell('Duration', h('span', { class: 'duration' }, duration(secondsBetween(i.startedAt, i.resolvedAt ?? now))), open ? ' so far' : ''),
    cell('Customers', h('span', { class: 'customers' }, String(i.affectedCustomers))),
    cell('ARR at risk', h('span', { class: 'arr' }, moneyEl(i.arrAtRisk))),
    cell('Outreach', outreachBar(i.outreach)),
    cell('CSMs alerted in', h('span', { class: 'alert-time', title: 'From detection to the last CSM alert' },
      i.lastCsmAlertAt ? duration(secondsBetween(i.detectedAt, i.lastCsmAlertAt)) : 'not yet')),
    cell('Links', links(i)));
}

/** @param {string} caption @param {import('../types').IncidentSummary[]} incidents @param {string} id */
function table(caption, incidents, id) {
  return h('section', { class: 'table-section', 'aria-labelledby': id },
    h('h2', { id }, caption, h('span', { class: 'count' }, ` (${incidents.length})`)),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'incidents stack' },
        h('thead', null, h('tr', null, ['Severity', 'Status', 'Incident', 'Started', 'Duration', 'Customers', 'ARR at risk', 'Outreach', 'CSMs alerted in', 'Links']
          .map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, incidents.map(row)))));
}

/** @param {import('../types').Overview} data @param {import('../types').Session} session */
function gettingStarted(data, session) {
  /** @type {HTMLElement[]} */
  const steps = [];
  if (data.counts.customers === 0) {
    steps.push(h('li', null, h('strong', null, 'Import your customers'), ' with their ARR, CSM and the components they use: ',
      code('npm run import -- customers.csv'), '.'));
  }
  steps.push(h('li', null, h('strong', null, 'Point PagerDuty at Forewarn'), ': add a Generic Webhook (v3) with the URL ',
    code(session.webhookUrls.pagerduty), ' and put its signing secret in ', code('PAGERDUTY_WEBHOOK_SECRETS'), '.'));
  steps.push(h('li', null, 'Or send incidents from any tool as JSON to ', code(session.webhookUrls.generic),
    ' (Opsgenie: ', code(session.webhookUrls.opsgenie), ').'));
  return steps;
}

/** @type {import('../types').View<import('../types').Overview>} */
export const incidentsView = {
  title: () => 'Incidents',
  url: () => '/api/dashboard/incidents',
  render(data, ctx) {
    const { session } = ctx;
    const open = data.incidents.filter(isOpen);
    const resolved = data.incidents.filter((i) => !isOpen(i));
    const atRisk = open.reduce((sum, i) => sum + i.arrAtRisk, 0);
    const summary = h('p', { class: 'summary' },
      open.length ? [`${open.length} open incident${open.length === 1 ? '' : 's'} · `, moneyEl(atRisk), ' ARR at risk'] : 'No open incidents.');
    if (data.incidents.length === 0) {
      return h('div', null, pageHeader('Incidents'), declareForm(ctx),
        emptyState('No incidents yet', h('p', null, 'Forewarn lists every product incident here as soon as it is detected, with the customers it affects and where outreach stands. To get started:'),
          h('ol', null, gettingStarted(data, session))));
    }
    return h('div', null,
      pageHeader('Incidents', summary),
      declareForm(ctx),
      data.counts.customers === 0 ? h('p', { class: 'notice' }, 'No customers imported yet, so no one is affected: ', code('npm run import -- customers.csv')) : null,
      open.length ? table('Open', open, 'open-title') : h('p', { class: 'muted' }, 'Nothing open right now.'),
      resolved.length ? table('Recently resolved', resolved, 'resolved-title') : null);
  },
};
