// Notifications outbox: every Slack message and email as rendered, with what happened to it.
// In dry-run (no Slack token / Google key) this is where the messages are.
import { code, emptyState, h, label, pageHeader, timeEl } from '../dom.js';
import { renderEmail, renderSlack } from '../message.js';

const STATUSES = ['pending', 'sent', 'drafted', 'dry_run', 'failed'];

/** @param {import('../types').ViewContext} ctx @param {Record<string, number>} counts */
function filters(ctx, counts) {
  /** @param {string} id @param {string} lbl @param {string[][]} options @param {string | undefined} value @param {string} key */
  const select = (id, lbl, options, value, key) => {
    const el = h('select', { id, 'data-focus': id }, options.map(([v, t]) => h('option', { value: v, selected: (value ?? '') === v }, t)));
    el.addEventListener('change', () => ctx.setQuery({ [key]: el.value || null, before: null }));
    return [h('label', { for: id }, lbl), el];
  };
  return h('div', { class: 'filters' },
    select('channel-filter', 'Channel', [['', 'All'], ['slack', 'Slack'], ['email', 'Email']], ctx.query.channel, 'channel'),
    select('status-filter', 'Status', [['', 'All'], ...STATUSES.map((st) => [st, `${label(st)} (${counts[st] ?? 0})`])], ctx.query.status, 'status'));
}

/** @param {import('../types').OutboxItem} n */
function item(n) {
  const slack = n.channel === 'slack';
  return h('article', { class: 'outbox-item', 'data-notification-id': n.id, 'aria-label': `${slack ? 'Slack' : 'Email'} ${label(n.kind)} to ${n.recipient}` },
    h('header', { class: 'outbox-head' },
      h('span', { class: ['channel', n.channel] }, slack ? 'Slack' : 'Email'),
      h('span', { class: 'kind' }, label(n.kind)),
      h('span', { class: 'recipient' }, `to ${n.recipient}`),
      h('span', { class: ['badge', 'delivery', `delivery-${n.status}`] }, label(n.status)),
      h('span', { class: 'muted small' }, timeEl(n.sentAt ?? n.createdAt)),
      n.incidentId ? h('a', { class: 'small', href: `#/incidents/${encodeURIComponent(n.incidentId)}` }, n.incidentTitle ?? 'incident') : null),
    n.error ? h('p', { class: 'error small' }, `Error after ${n.attempts} attempt${n.attempts === 1 ? '' : 's'}: ${n.error}`) : null,
    slack ? renderSlack(n.payload) : renderEmail(n.payload));
}

/** @type {import('../types').View<import('../types').Outbox>} */
export const outboxView = {
  title: () => 'Outbox',
  url: (_params, query) => {
    const q = new URLSearchParams();
    for (const k of ['channel', 'status', 'before']) if (query[k]) q.set(k, query[k]);
    const s = q.toString();
    return `/api/dashboard/outbox${s ? `?${s}` : ''}`;
  },
  render(data, ctx) {
    const { session } = ctx;
    const dry = [session.slackDryRun ? 'Slack (no SLACK_BOT_TOKEN)' : null, session.emailDryRun ? 'Gmail (no GOOGLE_SERVICE_ACCOUNT_KEY_FILE)' : null].filter(Boolean);
    return h('div', null,
      pageHeader('Notifications outbox', filters(ctx, data.counts)),
      dry.length ? h('p', { class: 'notice' }, `Dry run for ${dry.join(' and ')}: messages are rendered and kept here instead of being sent.`) : null,
      ctx.query.before ? h('p', null, h('a', { href: '#/outbox' }, '← Newest messages')) : null,
      data.items.length === 0
        ? emptyState('No messages yet', h('p', null, 'Every Slack alert, update and resolution, and every customer email draft, appears here with its status once an incident affects a customer. Import customers with ',
          code('npm run import -- customers.csv'), ' and send a test incident to ', code(session.webhookUrls.generic), '.'))
        : h('div', { class: 'outbox' }, data.items.map(item)),
      data.nextBefore ? h('p', null, h('a', { href: '#', onclick: (/** @type {Event} */ e) => { e.preventDefault(); ctx.setQuery({ before: data.nextBefore }); } }, 'Older messages →')) : null);
  },
};
