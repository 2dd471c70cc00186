// Small DOM helpers. Every piece of text goes through textContent, never innerHTML: incident
// titles and messages come from webhooks and must not be able to inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** @typedef {import('./types').Child} Child */
/** @typedef {Record<string, unknown> | null | undefined} Attrs */
/** @typedef {import('./types').OutreachCounts} OutreachCounts */

/** @param {Element} el @param {Child[]} children */
function append(el, children) {
  // Children nest (arrays of arrays from map), so flatten all the way down.
  for (const child of /** @type {(Node | string | number | boolean | null | undefined)[]} */ (/** @type {unknown[]} */ (children).flat(Infinity))) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** @param {Element} el @param {Attrs} attrs */
function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value));
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/**
 * h('a', { href: '#/x', class: 'y', onclick: fn }, 'text', child, [more])
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {Attrs} [attrs] @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** The same for SVG elements. @param {string} tag @param {Attrs} [attrs] @param {...Child} children @returns {SVGElement} */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

// ---- formatting ------------------------------------------------------------------------------

/** Compact money as in the Slack alerts: $500K, $1.125M. @param {number | string} amount */
export function money(amount) {
  const n = Number(amount) || 0;
  const abs = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  const trimmed = (/** @type {number} */ v) => v.toFixed(3).replace(/\.?0+$/, '');
  if (abs >= 1e9) return `${sign}$${trimmed(abs / 1e9)}B`;
  if (abs >= 1e6) return `${sign}$${trimmed(abs / 1e6)}M`;
  if (abs >= 1e3) return `${sign}$${trimmed(abs / 1e3)}K`;
  return `${sign}$${Math.round(abs)}`;
}

const usdFormat = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
export const usd = (/** @type {number | string} */ amount) => usdFormat.format(Number(amount) || 0);

/** Compact money with the exact figure for hover and screen readers. */
export const moneyEl = (/** @type {number | string} */ amount) => h('span', { class: 'money', title: usd(amount) }, money(amount));

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const dateTime = (/** @type {string | null | undefined} */ iso) => (iso ? dateTimeFormat.format(new Date(iso)) : '—');
export const timeEl = (/** @type {string | null | undefined} */ iso) => (iso ? h('time', { datetime: iso, title: new Date(iso).toISOString() }, dateTime(iso)) : '—');

/** 45s, 12m 5s, 2h 15m, 3d 4h @param {number | null | undefined} seconds */
export function duration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  // Seconds matter for alert times, not for an incident running for half an hour.
  if (m < 10) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  if (m < 60) return `${m}m`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return m % 60 ? `${hrs}h ${m % 60}m` : `${hrs}h`;
  const d = Math.floor(hrs / 24);
  return hrs % 24 ? `${d}d ${hrs % 24}h` : `${d}d`;
}

/** @param {string | null | undefined} fromIso @param {string | null | undefined} toIso @returns {number | null} */
export const secondsBetween = (fromIso, toIso) => (fromIso && toIso ? (Date.parse(toIso) - Date.parse(fromIso)) / 1000 : null);
export const percent = (/** @type {number | null | undefined} */ share) => (share == null ? '—' : `${Math.round(share * 1000) / 10}%`);
export const label = (/** @type {unknown} */ value) => String(value ?? '').replace(/[_-]/g, ' ').replace(/^./, (c) => c.toUpperCase());

// ---- shared pieces ---------------------------------------------------------------------------

/** @type {Record<string, string>} */
const SEVERITY_NAMES = { P1: 'Critical', P2: 'Major', P3: 'Minor', P4: 'Low' };

/** Severity as text and colour: "P1 Critical" with a distinct shape, so colour is never the only carrier. @param {string} severity */
export function severityBadge(severity) {
  /** @type {Record<string, string>} */
  const marks = { P1: '▲', P2: '◆', P3: '●', P4: '○' };
  return h('span', { class: ['badge', `sev-${String(severity).toLowerCase()}`] },
    h('span', { 'aria-hidden': 'true' }, marks[severity] ?? '•'), ` ${severity} ${SEVERITY_NAMES[severity] ?? ''}`.trimEnd());
}

/** @param {string} status */
export function statusBadge(status) {
  return h('span', { class: ['badge', 'status', `status-${status}`] }, label(status));
}

/** @param {string} level */
export function impactBadge(level) {
  /** @type {Record<string, string>} */
  const marks = { high: '▲', medium: '◆', low: '●', none: '–' };
  return h('span', { class: ['badge', `impact-${level}`] }, h('span', { 'aria-hidden': 'true' }, marks[level] ?? ''), ` ${label(level === 'none' ? 'no longer affected' : level)}`);
}

/**
 * Outreach progress as a stacked bar plus text. Groups the six outreach states into the four
 * stages a manager tracks: responded (or followed up), sent (or resolution sent), drafted, pending.
 * @param {OutreachCounts} o
 */
export function outreachStages(o) {
  return {
    total: o.affected,
    responded: o.responded + o.followedUp,
    sent: o.sent + o.resolutionSent,
    drafted: o.drafted,
    pending: o.pending,
  };
}

/** @param {OutreachCounts} o */
export function outreachBar(o) {
  const st = outreachStages(o);
  const text = `Drafted ${st.drafted} · Sent ${st.sent} · Responded ${st.responded} of ${st.total}`;
  const total = Math.max(st.total, 1);
  let x = 0;
  const rect = (/** @type {number} */ count, /** @type {string} */ cls) => {
    const w = (count / total) * 100;
    const r = s('rect', { x: x.toFixed(3), y: 0, width: w.toFixed(3), height: 10, class: cls });
    x += w;
    return count > 0 ? r : null;
  };
  const svg = s('svg', { class: 'bar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' },
    s('rect', { x: 0, y: 0, width: 100, height: 10, class: 'bar-bg' }),
    rect(st.responded, 'bar-responded'), rect(st.sent, 'bar-sent'), rect(st.drafted, 'bar-drafted'));
  return h('div', { class: 'progress', 'data-drafted': st.drafted, 'data-sent': st.sent, 'data-responded': st.responded, 'data-total': st.total },
    svg, h('span', { class: 'progress-text' }, text));
}

/** An empty state: what this view will show, and the first thing to do to get there. @param {string} title @param {...Child} body */
export function emptyState(title, ...body) {
  return h('div', { class: 'empty' }, h('h2', null, title), ...body);
}

export const code = (/** @type {string} */ text) => h('code', null, text);

/** @param {string} title @param {...Child} extra */
export function pageHeader(title, ...extra) {
  return h('div', { class: 'page-header' }, h('h1', null, title), ...extra);
}

/** A table cell labelled for the phone layout (tables turn into one card per row there). @param {string} lbl @param {...Child} content */
export function cell(lbl, ...content) {
  return h('td', { 'data-label': lbl }, h('div', { class: 'cell' }, ...content));
}

/** @param {string} lbl @param {...Child} content */
export function rowHeader(lbl, ...content) {
  return h('th', { scope: 'row', 'data-label': lbl }, h('div', { class: 'cell' }, ...content));
}
