// Team: per CSM across open incidents, who has customers to reach and who has not acknowledged.
import { cell, code, emptyState, h, moneyEl, pageHeader, rowHeader, severityBadge, timeEl } from '../dom.js';

/** @param {import('../types').TeamMember['unacknowledged']} list */
function unacknowledged(list) {
  if (list.length === 0) return h('span', { class: 'ok-text' }, '✓ all acknowledged');
  return h('ul', { class: 'plain' }, list.map((u) => h('li', null,
    h('span', { class: 'warn-text' }, '✗ '), severityBadge(u.severity), ' ',
    h('a', { href: `#/incidents/${encodeURIComponent(u.incidentId)}` }, u.title), ' · alerted ', timeEl(u.alertedAt),
    u.escalated ? h('span', { class: 'badge escalated' }, 'escalated to manager') : null)));
}

/** @type {import('../types').View<import('../types').Team>} */
export const teamView = {
  title: () => 'Team',
  url: () => '/api/dashboard/team',
  render(data) {
    if (data.members.length === 0) {
      return h('div', null, pageHeader('Team'),
        emptyState('No one has customers in an open incident',
          h('p', null, data.csmCount === 0
            ? ['No CSMs yet. Import customers with their CSM (email, name, Slack id, manager) using ', code('npm run import -- customers.csv'), '.']
            : `${data.csmCount} CSM${data.csmCount === 1 ? '' : 's'} on record. When an incident affects their customers, each appears here with their queue.`)));
    }
    const waiting = data.members.reduce((n, m) => n + m.unacknowledged.length, 0);
    return h('div', null,
      pageHeader('Team', h('p', { class: 'summary' }, `${data.members.length} CSM${data.members.length === 1 ? '' : 's'} with affected customers · `,
        `${waiting} unacknowledged alert${waiting === 1 ? '' : 's'}`)),
      h('div', { class: 'table-wrap' }, h('table', { class: 'team stack' },
        h('thead', null, h('tr', null, ['CSM', 'Open incidents', 'Affected customers', 'High impact', 'ARR', 'Pending outreach', 'Not acknowledged']
          .map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, data.members.map((m) => h('tr', { 'data-csm': m.email ?? '' },
          rowHeader('CSM', m.name, h('div', { class: 'muted small' }, m.email ?? '',
            m.managerEmail ? ` · manager ${m.managerEmail}` : '')),
          cell('Open incidents', String(m.incidents)),
          cell('Affected customers', String(m.customers)),
          cell('High impact', String(m.highImpact)),
          cell('ARR', moneyEl(m.arr)),
          cell('Pending outreach', h('span', { class: m.pendingOutreach ? 'pending-outreach has-pending' : 'pending-outreach' }, String(m.pendingOutreach))),
          cell('Not acknowledged', unacknowledged(m.unacknowledged))))))));
  },
};
