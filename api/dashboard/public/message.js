// Renders stored Slack messages (Block Kit + mrkdwn) and emails as a reader would see them.
// Everything is built with DOM nodes; links are kept only for http(s) and mailto URLs.
import { h } from './dom.js';

/** @typedef {import('./types').Child} Child */
/** @typedef {import('./types').SlackNode} SlackNode */

/** @type {Record<string, string | undefined>} */
const EMOJI = {
  rotating_light: '🚨', warning: '⚠️', large_blue_circle: '🔵', white_check_mark: '✅', red_circle: '🔴', large_orange_circle: '🟠',
  large_yellow_circle: '🟡', large_green_circle: '🟢', bell: '🔔', memo: '📝', calendar: '📅', email: '📧', envelope: '✉️',
  busts_in_silhouette: '👥', mag: '🔍', hourglass: '⌛', hourglass_flowing_sand: '⏳', point_right: '👉', arrow_right: '➡️',
  fire: '🔥', rocket: '🚀', x: '❌', heavy_check_mark: '✔️', information_source: 'ℹ️', speech_balloon: '💬', clipboard: '📋',
  chart_with_upwards_trend: '📈', moneybag: '💰', link: '🔗', sos: '🆘', construction: '🚧', tada: '🎉', repeat: '🔁',
};

const safeUrl = (/** @type {string} */ url) => (/^(https?:|mailto:)/i.test(url) ? url : null);

/** Slack mrkdwn → nodes, line by line so that "> quoted" lines become quotes. @param {unknown} text @returns {Child[]} */
export function mrkdwn(text) {
  const lines = String(text ?? '').split('\n');
  return lines.flatMap((line, i) => {
    const quoted = /^(>|&gt;)\s?/.exec(line);
    const content = quoted ? h('span', { class: 'slack-quote' }, inline(line.slice(quoted[0].length))) : inline(line);
    return i < lines.length - 1 ? [content, '\n'].flat() : [content].flat();
  });
}

/** Plain text as Slack shows it: emoji codes become emoji, nothing else is interpreted. @param {unknown} text */
function plainText(text) {
  return String(text ?? '').split(/(:[a-z0-9_+-]+:)/g).map((part) => {
    const name = /^:([a-z0-9_+-]+):$/.exec(part)?.[1];
    return name && EMOJI[name] ? h('span', { title: part }, EMOJI[name]) : part;
  });
}

/**
 * One line of mrkdwn: *bold*, _italic_, ~strike~, `code`, <url|label>, <@user>, <#channel|name>, :emoji:.
 * @param {unknown} text @returns {Child[]}
 */
function inline(text) {
  /** @type {Child[]} */
  const out = [];
  const re = /<([^>\n]+)>|\*([^*\n]+)\*|_([^_\n]+)_|~([^~\n]+)~|`([^`\n]+)`|:([a-z0-9_+-]+):/g;
  let last = 0;
  const src = String(text ?? '').replace(/&lt;/g, '\u0001').replace(/&gt;/g, '\u0002').replace(/&amp;/g, '&');
  const plain = (/** @type {string} */ t) => t.replace(/\u0001/g, '<').replace(/\u0002/g, '>');
  for (let m = re.exec(src); m; m = re.exec(src)) {
    if (m.index > last) out.push(plain(src.slice(last, m.index)));
    if (m[1] !== undefined) {
      const [target, lbl] = m[1].split('|');
      if (target.startsWith('@')) out.push(h('span', { class: 'mention' }, `@${lbl ?? target.slice(1)}`));
      else if (target.startsWith('#')) out.push(h('span', { class: 'mention' }, `#${lbl ?? target.slice(1)}`));
      else if (target.startsWith('!')) out.push(h('span', { class: 'mention' }, `@${(lbl ?? target.slice(1)).replace(/^subteam\^/, '')}`));
      else {
        const url = safeUrl(target);
        out.push(url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, plain(lbl ?? target)) : plain(lbl ?? target));
      }
    } else if (m[2] !== undefined) out.push(h('strong', null, inline(m[2])));
    else if (m[3] !== undefined) out.push(h('em', null, inline(m[3])));
    else if (m[4] !== undefined) out.push(h('s', null, inline(m[4])));
    else if (m[5] !== undefined) out.push(h('code', null, plain(m[5])));
    else if (m[6] !== undefined) out.push(EMOJI[m[6]] ? h('span', { title: `:${m[6]}:` }, EMOJI[m[6]]) : `:${m[6]}:`);
    last = re.lastIndex;
  }
  if (last < src.length) out.push(plain(src.slice(last)));
  return out;
}

/** @param {SlackNode | string | undefined} t */
const textObj = (t) => (t == null ? null : typeof t === 'string' ? plainText(t) : t.type === 'mrkdwn' ? mrkdwn(t.text) : plainText(t.text));

/** @param {SlackNode | undefined} el */
function element(el) {
  if (!el) return null;
  if (el.type === 'button') {
    const url = el.url && safeUrl(el.url);
    return url ? h('a', { class: ['slack-button', el.style], href: url, target: '_blank', rel: 'noopener noreferrer' }, textObj(el.text))
      : h('span', { class: ['slack-button', el.style], title: el.action_id ? `Button: ${el.action_id}` : null }, textObj(el.text));
  }
  if (el.type === 'image') return h('span', { class: 'muted' }, `[image: ${el.alt_text ?? ''}]`);
  if (el.type === 'mrkdwn' || el.type === 'plain_text') return h('span', null, textObj(el));
  if (el.text) return h('span', { class: 'slack-button' }, textObj(el.text));
  return null;
}

/** rich_text blocks nest sections of text runs; their words are what matters here. @param {SlackNode[] | undefined} elements @returns {string} */
function richText(elements) {
  return (elements ?? []).map((e) => (typeof e?.text === 'string' ? e.text : e?.type === 'link' ? e.url : richText(e?.elements))).join('');
}

/** @param {SlackNode | undefined} b */
function block(b) {
  switch (b?.type) {
    case 'header': return h('div', { class: 'slack-header' }, textObj(b.text));
    case 'divider': return h('hr');
    case 'section': return h('div', { class: 'slack-section' },
      b.text ? h('div', { class: 'slack-text' }, textObj(b.text)) : null,
      b.fields ? h('div', { class: 'slack-fields' }, b.fields.map((f) => h('div', null, textObj(f)))) : null,
      b.accessory ? h('div', { class: 'slack-accessory' }, element(b.accessory)) : null);
    case 'context': return h('div', { class: 'slack-context' }, (b.elements ?? []).map(element));
    case 'actions': return h('div', { class: 'slack-actions' }, (b.elements ?? []).map(element));
    case 'rich_text': return h('div', { class: 'slack-text' }, richText(b.elements));
    default: return null;
  }
}

/** A Slack message as stored in the outbox: { text, blocks } (possibly nested under `message`). @param {unknown} payload */
export function renderSlack(payload) {
  const p = /** @type {import('./types').SlackPayload | null | undefined} */ (payload);
  const msg = p?.message ?? p ?? {};
  const blocks = Array.isArray(msg.blocks) ? msg.blocks : [];
  if (blocks.length === 0) return h('div', { class: 'slack-message' }, h('div', { class: 'slack-text' }, mrkdwn(msg.text ?? JSON.stringify(payload))));
  return h('div', { class: 'slack-message' }, blocks.map(block),
    msg.text ? h('details', { class: 'fallback' }, h('summary', null, 'Notification text'), h('div', { class: 'slack-text' }, mrkdwn(msg.text))) : null);
}

/** @param {string} html */
function htmlToText(html) {
  // DOMParser documents are inert: scripts do not run and nothing is fetched.
  const doc = new DOMParser().parseFromString(String(html), 'text/html');
  return doc.body.textContent ?? '';
}

/** An email as stored in the outbox: { to, subject, body | text | html, ... }. @param {unknown} payload */
export function renderEmail(payload) {
  const stored = /** @type {import('./types').EmailPayload | null | undefined} */ (payload);
  const p = stored?.email ?? stored ?? {};
  const body = p.body ?? p.text ?? p.textBody ?? (p.html ? htmlToText(p.html) : null);
  const header = (/** @type {string} */ name, /** @type {string | string[] | undefined} */ value) => (value ? h('div', null, h('span', { class: 'muted' }, `${name}: `), Array.isArray(value) ? value.join(', ') : String(value)) : null);
  return h('div', { class: 'email-message' },
    h('div', { class: 'email-headers' }, header('From', p.from), header('To', p.to), header('Cc', p.cc), header('Subject', p.subject)),
    body != null ? h('div', { class: 'email-body' }, body) : h('pre', { class: 'email-body' }, JSON.stringify(payload, null, 2)));
}
