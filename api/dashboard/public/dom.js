// Small DOM helpers. Every piece of text goes through textContent, never innerHTML: incident
// titles and messages come from webhooks and must not be able to inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/** h('a', { href: '#/x', class: 'y', onclick: fn }, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

// ---- formatting ------------------------------------------------------------------------------

/** Compact money as in the Slack alerts: $500K, $1.125M. */
export function money(amount) {
  const n = Number(amount) || 0;
  const abs = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  const trimmed = (v) => v.toFixed(3).replace(/\.?0+$/, '');
  if (abs >= 1e9) return `${sign}$${trimmed(abs / 1e9)}B`;
  if (abs >= 1e6) return `${sign}$${trimmed(abs / 1e6)}M`;
  if (abs >= 1e3) return `${sign}$${trimmed(abs / 1e3)}K`;
  return `${sign}$${Math.round(abs)}`;
}

const usdFormat = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
export const usd = (amount) => usdFormat.format(Number(amount) || 0);

/** Compact money with the exact figure for hover and screen readers. */
export const moneyEl = (amount) => h('span', { class: 'money', title: usd(amount) }, money(amount));

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const dateTime = (iso) => (iso ? dateTimeFormat.format(new Date(iso)) : '—');
export const timeEl = (iso) => (iso ? h('time', { datetime: iso, title: new Date(iso).toISOString() }, dateTime(iso)) : '—');

/** 45s, 12m 5s, 2h 15m, 3d 4h */
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

export const secondsBetween = (fromIso, toIso) => (fromIso && toIso ? (new Date(toIso) - new Date(fromIso)) / 1000 : null);
export const percent = (share) => (share == null ? '—' : `${Math.round(share * 1000) / 10}%`);
export const label = (value) => String(value ?? '').replace(/[_-]/g, ' ').replace(/^./, (c) => c.toUpperCase());

// ---- shared pieces ---------------------------------------------------------------------------

const SEVERITY_NAMES = { P1: 'Critical', P2: 'Major', P3: 'Minor', P4: 'Low' };

/** Severity as text and colour: "P1 Critical" with a distinct shape, so colour is never the only carrier. */
export function severityBadge(severity) {
  const marks = { P1: '▲', P2: '◆', P3: '●', P4: '○' };
  return h('span', { class: ['badge', `sev-${String(severity).toLowerCase()}`] },
    h('span', { 'aria-hidden': 'true' }, marks[severity] ?? '•'), ` ${severity} ${SEVERITY_NAMES[severity] ?? ''}`.trimEnd());
}

export function statusBadge(status) {
  return h('span', { class: ['badge', 'status', `status-${status}`] }, label(status));
}

export function impactBadge(level) {
  const marks = { high: '▲', medium: '◆', low: '●', none: '–' };
  return h('span', { class: ['badge', `impact-${level}`] }, h('span', { 'aria-hidden': 'true' }, marks[level] ?? ''), ` ${label(level === 'none' ? 'no longer affected' : level)}`);
}

/**
 * Outreach progress as a stacked bar plus text. Groups the six outreach states into the four
 * stages a manager tracks: responded (or followed up), sent (or resolution sent), drafted, pending.
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

export function outreachBar(o) {
  const st = outreachStages(o);
  const text = `Drafted ${st.drafted} · Sent ${st.sent} · Responded ${st.responded} of ${st.total}`;
  const total = Math.max(st.total, 1);
  let x = 0;
  const rect = (count, cls) => {
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

/** An empty state: what this view will show, and the first thing to do to get there. */
export function emptyState(title, ...body) {
  return h('div', { class: 'empty' }, h('h2', null, title), ...body);
}

export const code = (text) => h('code', null, text);

export function pageHeader(title, ...extra) {
  return h('div', { class: 'page-header' }, h('h1', null, title), ...extra);
}

/** A table cell labelled for the phone layout (tables turn into one card per row there). */
export function cell(lbl, ...content) {
  return h('td', { 'data-label': lbl }, h('div', { class: 'cell' }, ...content));
}

export function rowHeader(lbl, ...content) {
  return h('th', { scope: 'row', 'data-label': lbl }, h('div', { class: 'cell' }, ...content));
}
