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
    return h('div', null, head,
      h('p', { class: 'summary' }, `${data.incidents} incident${data.incidents === 1 ? '' : 's'} detected, ${data.resolvedIncidents} resolved.`),
      h('div', { class: 'metrics' },
        metric('Time to CSM alert (p50 / p90)', a.samples ? `${duration(a.p50Seconds)} / ${duration(a.p90Seconds)}` : '—',
          `promise: under ${duration(promise)}`, a.p90Seconds == null ? null : a.p90Seconds <= promise,
          a.samples ? `${a.withinPromise} of ${a.samples} CSM alerts within the promise` : 'No CSM alerted yet'),
        metric('Reached proactively', percent(data.reach.share), `goal: ${percent(data.reach.goal)}`,
          data.reach.share == null ? null : data.reach.share >= data.reach.goal, `${data.reach.reached} of ${data.reach.affected} affected customers contacted`),
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
        })),
      h('details', { class: 'data-table' }, h('summary', null, 'Show the numbers as a table'),
        h('div', { class: 'table-wrap' }, h('table', null,
          h('thead', null, h('tr', null, [data.bucket === 'hour' ? 'Hour' : 'Day', 'Incidents', 'Alert p50', 'Alert p90', 'Affected', 'Reached']
            .map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, data.series.filter((b) => b.incidents > 0).map((b) => h('tr', null,
            h('th', { scope: 'row' }, bucketLabel(b.start, data.bucket)), h('td', null, String(b.incidents)),
            h('td', null, duration(b.alertP50Seconds)), h('td', null, duration(b.alertP90Seconds)),
            h('td', null, String(b.affected)), h('td', null, String(b.reached)))))))));
  },
};
