// Outcomes: the product's success metrics over a chosen period, against its promises.
import { barChart } from '../chart.js';
import { duration, emptyState, h, pageHeader, percent } from '../dom.js';

// Round axis tops for durations: 1m, 2m, 3m, 6m, 10m, 15m, 30m, 1h...
const DURATION_STEPS = [10, 30, 60, 120, 180, 360, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800];
const PRESETS = [['1', 'Last 24 hours'], ['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days']];

/** @param {import('../types').ViewContext} ctx */
function periodPicker(ctx) {
  const custom = Boolean(ctx.query.from);
  const preset = h('select', { id: 'period', 'data-focus': 'period' },
    PRESETS.map(([v, t]) => h('option', { value: v, selected: !custom && (ctx.query.days ?? '30') === v }, t)),
    h('option', { value: 'custom', selected: custom }, 'Custom dates…'));
  const from = h('input', { type: 'date', id: 'from', 'data-focus': 'from', value: ctx.query.from ?? '', required: true });
  const to = h('input', { type: 'date', id: 'to', 'data-focus': 'to', value: ctx.query.to ?? '', required: true });
  const customFields = h('span', { class: 'custom-range', hidden: !custom },
    h('label', { for: 'from' }, 'From'), from, h('label', { for: 'to' }, 'to'), to,
    h('button', { type: 'submit' }, 'Show'));
  preset.addEventListener('change', () => {
    if (preset.value === 'custom') {
      customFields.hidden = false;
      from.focus();
    } else ctx.setQuery({ days: preset.value, from: null, to: null });
  });
  return h('form', {
    class: 'period', onsubmit: (/** @type {Event} */ e) => {
      e.preventDefault();
      if (from.value && to.value && from.value <= to.value) ctx.setQuery({ from: from.value, to: to.value, days: null });
    },
  }, h('label', { for: 'period' }, 'Period'), preset, customFields);
}

/**
 * One success metric: its value against its goal, with a mark when the goal is met or missed.
 * @param {string} name @param {import('../types').Child} value @param {string} target
 * @param {boolean | null} verdict null when there is nothing to judge yet @param {string} [detail]
 */
function metric(name, value, target, verdict, detail) {
  return h('div', { class: ['metric', verdict === true ? 'met' : verdict === false ? 'missed' : null] },
    h('div', { class: 'metric-name' }, name),
    h('div', { class: 'metric-value' }, value),
    h('div', { class: 'metric-target' }, verdict === true ? '✓ ' : verdict === false ? '✗ ' : '', target),
    detail ? h('div', { class: 'muted small' }, detail) : null);
}

/** Escalations read as tickets per 100 affected customers (a rate compares periods of different sizes). */
const per100 = (/** @type {number | null} */ rate) => (rate == null ? '—' : `${Math.round(rate * 1000) / 10}`);
const signedPercent = (/** @type {number | null} */ change) => (change == null ? '—' : `${change > 0 ? '+' : ''}${percent(change)}`);
const rating = (/** @type {number | null} */ avg) => (avg == null ? '—' : avg.toFixed(1));

/** @param {import('../types').Outcomes['escalations']} e */
function escalationMetric(e) {
  const base = e.baseline.perAffectedCustomer;
  const detail = [`${e.tickets} ticket${e.tickets === 1 ? '' : 's'} from ${e.customers} affected customer${e.customers === 1 ? '' : 's'} during incidents: `,
    `${e.beforeContact} before their CSM's first contact, ${e.afterContact} after.`,
    base == null ? ' No baseline set (ESCALATION_BASELINE_FROM/TO or _RATE).'
      : ` Baseline ${per100(base)} per 100${e.baseline.source === 'period' && e.baseline.from && e.baseline.to ? ` (${e.baseline.from.slice(0, 10)} to ${e.baseline.to.slice(0, 10)})` : ''}.`].join('');
  return metric('Customer escalations', `${per100(e.perAffectedCustomer)} per 100`, `goal: ${percent(e.goal)} vs baseline${e.change == null ? '' : ` (now ${signedPercent(e.change)})`}`,
    e.change == null ? null : e.change <= e.goal, detail);
}

/** @param {string} iso @param {string} bucket */
function bucketLabel(iso, bucket) {
  const d = new Date(iso);
  return bucket === 'hour' ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** @type {import('../types').View<import('../types').Outcomes>} */
export const outcomesView = {
  title: () => 'Outcomes',
  // Period aggregates move slowly and cost a scan of the period: refresh every 30 s, not every 2.
  pollSeconds: 30,
  url: (_params, query) => {
    // Whole days in the browser's time zone, the end date included.
    if (query.from && query.to) {
      const from = new Date(`${query.from}T00:00:00`);
      const to = new Date(`${query.to}T00:00:00`);
      to.setDate(to.getDate() + 1);
      return `/api/dashboard/outcomes?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    }
    return `/api/dashboard/outcomes?days=${encodeURIComponent(query.days ?? '30')}`;
  },
  render(data, ctx) {
    const promise = data.alert.promiseSeconds;
    const head = pageHeader('Outcomes', periodPicker(ctx));
    if (data.incidents === 0) {
      return h('div', null, head, emptyState('No incidents in this period',
        h('p', null, 'Pick a longer period, or wait for the first incident: this view then shows how fast CSMs were alerted, how many affected customers heard from us first, and whether resolution notices and follow-ups went out.')));
    }
    const a = data.alert;
    const bars = data.series.map((b) => ({
      x: bucketLabel(b.start, data.bucket),
      values: [b.alertP50Seconds, b.alertP90Seconds],
      titles: [`${bucketLabel(b.start, data.bucket)}: p50 ${duration(b.alertP50Seconds)}`, `${bucketLabel(b.start, data.bucket)}: p90 ${duration(b.alertP90Seconds)}`],
    }));
    const reachBars = data.series.map((b) => {
      const share = b.affected ? b.reached / b.affected : null;
      return { x: bucketLabel(b.start, data.bucket), values: [share], titles: [`${bucketLabel(b.start, data.bucket)}: ${b.reached} of ${b.affected} reached (${percent(share)})`] };
    });
    const escalationBars = data.series.map((b) => {
      const x = bucketLabel(b.start, data.bucket);
      const before = b.affected ? b.ticketsBeforeContact / b.affected : null;
      const after = b.affected ? (b.tickets - b.ticketsBeforeContact) / b.affected : null;
      return { x, values: [before, after], titles: [`${x}: ${b.ticketsBeforeContact} tickets before first contact (${per100(before)} per 100 affected)`,
        `${x}: ${b.tickets - b.ticketsBeforeContact} tickets after first contact (${per100(after)} per 100 affected)`] };
    });
    const csatBars = data.series.map((b) => {
      const x = bucketLabel(b.start, data.bucket);
      return { x, values: [b.csatAverage], titles: [`${x}: average ${rating(b.csatAverage)} from ${b.csatRatings} rating${b.csatRatings === 1 ? '' : 's'}`] };
    });
    const e = data.escalations;
    const escalationGoal = e.baseline.perAffectedCustomer == null ? undefined
      : { value: e.baseline.perAffectedCustomer * (1 + e.goal), label: `goal ${per100(e.baseline.perAffectedCustomer * (1 + e.goal))} per 100` };
    return h('div', null, head,
      h('p', { class: 'summary' }, `${data.incidents} incident${data.incidents === 1 ? '' : 's'} detected, ${data.resolvedIncidents} resolved.`),
      h('div', { class: 'metrics' },
        metric('Time to CSM alert (p50 / p90)', a.samples ? `${duration(a.p50Seconds)} / ${duration(a.p90Seconds)}` : '—',
          `promise: under ${duration(promise)}`, a.p90Seconds == null ? null : a.p90Seconds <= promise,
          [a.samples ? `${a.withinPromise} of ${a.samples} CSM alerts within the promise, from detection. From the source's start: ${duration(a.fromStart.p50Seconds)} / ${duration(a.fromStart.p90Seconds)}.`
            : 'No CSM alert delivered yet.', a.dryRunExcluded ? ` ${a.dryRunExcluded} dry-run alert${a.dryRunExcluded === 1 ? '' : 's'} not counted (no Slack token).` : ''].join('')),
        metric('Reached proactively', percent(data.reach.share), `goal: ${percent(data.reach.goal)}`,
          data.reach.share == null ? null : data.reach.share >= data.reach.goal, `${data.reach.reached} of ${data.reach.affected} affected customers contacted`),
        escalationMetric(e),
        metric('Customer satisfaction (CSAT)', data.csat.average == null ? '—' : `${rating(data.csat.average)} / 5`, `goal: ${rating(data.csat.goal)} or more`,
          data.csat.average == null ? null : data.csat.average >= data.csat.goal,
          data.csat.ratings ? `${data.csat.ratings} rating${data.csat.ratings === 1 ? '' : 's'} from resolution emails: ${[5, 4, 3, 2, 1].map((s) => `${data.csat.distribution[/** @type {'1'|'2'|'3'|'4'|'5'} */ (String(s))]}×${s}`).join(', ')}`
            : 'No ratings yet: resolution emails carry a one-click 1–5 rating (CSAT_SIGNING_SECRET).'),
        metric('Resolution notices', percent(data.resolutionNotices.share), 'every affected customer of a resolved incident',
          data.resolutionNotices.share == null ? null : data.resolutionNotices.share >= 1, `${data.resolutionNotices.notified} of ${data.resolutionNotices.affected} notified`),
        metric('Follow-ups done', percent(data.followUps.share), 'every follow-up that is due',
          data.followUps.share == null ? null : data.followUps.share >= 1, `${data.followUps.done} of ${data.followUps.due} due`)),
      h('div', { class: 'charts' },
        barChart({
          id: 'alert-chart', title: 'Time to CSM alert', series: [{ label: 'p50', class: 'p50' }, { label: 'p90', class: 'p90' }],
          description: `Time from detection to CSM alert per ${data.bucket}; overall p50 ${duration(a.p50Seconds)}, p90 ${duration(a.p90Seconds)}, promise ${duration(promise)}.`,
          bars, goal: { value: promise, label: `${duration(promise)} promise` }, format: (v) => duration(v), steps: DURATION_STEPS,
        }),
        barChart({
          id: 'reach-chart', title: 'Affected customers reached proactively', series: [{ label: 'reached', class: 'reach' }],
          description: `Share of affected customers contacted per ${data.bucket}; overall ${percent(data.reach.share)} against the ${percent(data.reach.goal)} goal.`,
          bars: reachBars, goal: { value: data.reach.goal, label: `${percent(data.reach.goal)} goal` }, max: 1, format: (v) => percent(v),
        }),
        barChart({
          id: 'escalation-chart', title: 'Customer escalations per 100 affected customers',
          series: [{ label: 'before first contact', class: 'before-contact' }, { label: 'after', class: 'after-contact' }],
          description: `Support tickets from affected customers during incidents per ${data.bucket}, before and after their CSM's first contact; overall ${per100(e.perAffectedCustomer)} per 100${escalationGoal ? `, goal ${per100(escalationGoal.value)}` : ''}.`,
          bars: escalationBars, goal: escalationGoal, format: (v) => per100(v),
        }),
        barChart({
          id: 'csat-chart', title: 'Customer satisfaction (1–5)', series: [{ label: 'average rating', class: 'csat' }],
          description: `Average rating per ${data.bucket}; overall ${rating(data.csat.average)} against the ${rating(data.csat.goal)} goal.`,
          bars: csatBars, goal: { value: data.csat.goal, label: `${rating(data.csat.goal)} goal` }, max: 5, format: (v) => v.toFixed(1),
        })),
      h('details', { class: 'data-table' }, h('summary', null, 'Show the numbers as a table'),
        h('div', { class: 'table-wrap' }, h('table', null,
          h('thead', null, h('tr', null, [data.bucket === 'hour' ? 'Hour' : 'Day', 'Incidents', 'Alert p50', 'Alert p90', 'Affected', 'Reached', 'Escalations (before contact)', 'CSAT']
            .map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, data.series.filter((b) => b.incidents > 0).map((b) => h('tr', null,
            h('th', { scope: 'row' }, bucketLabel(b.start, data.bucket)), h('td', null, String(b.incidents)),
            h('td', null, duration(b.alertP50Seconds)), h('td', null, duration(b.alertP90Seconds)),
            h('td', null, String(b.affected)), h('td', null, String(b.reached)),
            h('td', null, `${b.tickets} (${b.ticketsBeforeContact})`), h('td', null, b.csatRatings ? `${rating(b.csatAverage)} (${b.csatRatings})` : '—'))))))));
  },
};
