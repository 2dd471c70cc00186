// A small inline-SVG bar chart with a goal line: enough for the outcome series, no library.
import { h, s } from './dom.js';

const W = 640;
const H = 200;
const PAD = { top: 16, right: 12, bottom: 28, left: 52 };

/** The smallest "round" value at least v (1, 2, 5 × 10^n unless the caller gives its own steps). @param {number} v @param {number[]} [steps] */
function niceCeil(v, steps) {
  if (steps) return steps.find((x) => x >= v) ?? v;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((x) => x >= v) ?? v;
}

/**
 * @typedef {object} ChartOptions
 * @property {string} id
 * @property {string} title
 * @property {string} description what the chart shows, for screen readers
 * @property {{ x: string, values: (number | null)[], titles: string[] }[]} bars one group per bucket, one bar per series
 * @property {{ label: string, class: string }[]} series
 * @property {{ value: number, label: string }} [goal]
 * @property {number} [max] fixes the top of the axis (100% for shares); otherwise it is rounded up from the data and the goal using `steps`
 * @property {number[]} [steps]
 * @property {(v: number) => string} format
 */

/** @param {ChartOptions} options */
export function barChart({ id, title, description, bars, series, goal, max, steps, format }) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const highest = Math.max(goal ? goal.value * 1.1 : 0, ...bars.flatMap((b) => b.values.filter((v) => v != null)), 1e-9);
  const top = max ?? niceCeil(highest, steps);
  const y = (/** @type {number} */ v) => PAD.top + plotH - (v / top) * plotH;
  const groupW = plotW / Math.max(bars.length, 1);
  const barW = Math.max(1, (groupW * 0.8) / series.length);

  const ticks = [0, top / 2, top].map((v) => s('g', { class: 'tick' },
    s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }),
    s('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, format(v))));

  const rects = bars.flatMap((b, i) => b.values.map((v, j) => (v == null ? null : s('rect', {
    class: `chart-bar ${series[j].class}`,
    x: (PAD.left + i * groupW + groupW * 0.1 + j * barW).toFixed(2),
    y: y(v).toFixed(2),
    width: (barW * 0.92).toFixed(2),
    height: Math.max(0, PAD.top + plotH - y(v)).toFixed(2),
    'data-value': v,
  }, s('title', null, b.titles[j])))));

  // A handful of x labels: first, middle, last.
  const labelIdx = [...new Set([0, Math.floor((bars.length - 1) / 2), bars.length - 1])].filter((i) => i >= 0);
  const xLabels = labelIdx.map((i) => s('text', { class: 'x-label', x: PAD.left + i * groupW + groupW / 2, y: H - 8, 'text-anchor': 'middle' }, bars[i].x));

  const goalLine = goal ? s('g', { class: 'goal' },
    s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(goal.value), y2: y(goal.value) }),
    s('text', { x: PAD.left + 4, y: y(goal.value) - 4, 'text-anchor': 'start' }, goal.label)) : null;

  return h('figure', { class: 'chart', id },
    h('figcaption', null, h('strong', null, title), h('span', { class: 'legend' }, series.map((se) => h('span', { class: 'legend-item' },
      h('span', { class: `swatch ${se.class}`, 'aria-hidden': 'true' }), se.label)),
    goal ? h('span', { class: 'legend-item' }, h('span', { class: 'swatch goal-swatch', 'aria-hidden': 'true' }), goal.label) : null)),
    s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': description, class: 'chart-svg', preserveAspectRatio: 'xMidYMid meet' },
      ...ticks, ...rects, goalLine, ...xLabels));
}
