// Message templates: the list, and one template's versions with its editor. A version is written
// as a draft, submitted, and approved by someone else (another token or person), which makes it the
// one Forewarn uses; every save answers a preview for the spec's example incident and customer.
import { failureText, sendJson } from '../api.js';
import { code, emptyState, h, label, pageHeader, timeEl } from '../dom.js';

/** @typedef {import('../types').TemplateContent} Content */
/** @typedef {import('../types').TemplateVersion} Version */
/** @typedef {import('../types').TemplatePreview} Preview */
/** @typedef {import('../types').ViewContext} ViewContext */

const SEVERITIES = ['P1', 'P2', 'P3', 'P4'];
const STAGES = ['investigating', 'identified', 'monitoring', 'resolved', 'follow_up'];
const SEGMENTS = ['enterprise', 'mid-market', 'smb'];
/** @type {Record<string, string>} */
const CHANNELS = { slack: 'Slack alert', email: 'Customer email' };
const NEW_KEY = /^[a-z0-9][a-z0-9._-]*$/;

/** Unsaved editor content by template key: live re-renders and refreshes keep what is typed. */
/** @type {Map<string, Content>} */
const edits = new Map();
/** The last preview or error of each editor, and a one-time message after a move. */
/** @type {Map<string, { preview?: Preview, error?: string }>} */
const outcomes = new Map();
/** @type {string | null} */
let flash = null;
/** The new template's key as typed. */
let newKey = '';

/** @returns {Content} */
const blank = () => ({ severity: null, stage: null, segment: null, channel: null, components: [], subject: null, body: '' });

/** @param {Version | Content} v @returns {Content} */
const contentOf = (v) => ({
  severity: v.severity, stage: v.stage, segment: v.segment, channel: v.channel, components: [...v.components], subject: v.subject, body: v.body,
});

/** "P1 · investigating · enterprise · Customer email", "any" parts left out. @param {Content} c */
function target(c) {
  const parts = [c.severity, c.stage ? label(c.stage) : null, c.segment ? label(c.segment) : null, c.channel ? CHANNELS[c.channel] : 'Slack and email',
    c.components.length ? c.components.join(', ') : null].filter(Boolean);
  return parts.join(' · ');
}

/** @param {string} state */
const stateBadge = (state) => h('span', { class: ['badge', `tpl-${state}`] }, label(state));

/**
 * The editor: whom the wording is for, the email subject and the body. Every field writes to
 * `edits` at once, so a re-render never loses typing.
 * @param {string} id a prefix for the fields' ids @param {string} editKey @param {Content} content
 */
function editorFields(id, editKey, content) {
  const set = (/** @type {Partial<Content>} */ patch) => edits.set(editKey, { ...(edits.get(editKey) ?? content), ...patch });
  /** @param {string} name @param {string} text @param {string} anyText @param {string[]} values @param {string | null} value @param {(v: string | null) => void} onChange @param {Record<string, string>} [names] */
  const select = (name, text, anyText, values, value, onChange, names = {}) => h('label', { class: 'field' }, text,
    h('select', {
      id: `${id}-${name}`, name, 'data-focus': `${id}-${name}`,
      onchange: (/** @type {Event} */ e) => onChange(/** @type {HTMLSelectElement} */ (e.target).value || null),
    }, h('option', { value: '', selected: value === null }, anyText),
    values.map((v) => h('option', { value: v, selected: v === value }, names[v] ?? label(v)))));
  const subjectField = h('label', { class: 'field wide', hidden: content.channel === 'slack' }, 'Email subject (empty: Forewarn\'s default)',
    h('input', {
      type: 'text', id: `${id}-subject`, name: 'subject', 'data-focus': `${id}-subject`, value: content.subject ?? '', maxlength: 200,
      oninput: (/** @type {Event} */ e) => set({ subject: /** @type {HTMLInputElement} */ (e.target).value || null }),
    }));
  return h('div', { class: 'editor-fields' },
    select('severity', 'Severity', 'Any severity', SEVERITIES, content.severity, (v) => set({ severity: /** @type {Content['severity']} */ (v) })),
    select('stage', 'Stage', 'Any stage', STAGES, content.stage, (v) => set({ stage: /** @type {Content['stage']} */ (v) })),
    select('segment', 'Segment', 'Any segment', SEGMENTS, content.segment, (v) => set({ segment: /** @type {Content['segment']} */ (v) })),
    select('channel', 'Channel', 'Slack and email', Object.keys(CHANNELS), content.channel, (v) => {
      set({ channel: /** @type {Content['channel']} */ (v), ...(v === 'slack' ? { subject: null } : {}) });
      subjectField.hidden = v === 'slack';
    }, CHANNELS),
    h('label', { class: 'field' }, 'Components (keys, comma-separated; empty: any)',
      h('input', {
        type: 'text', id: `${id}-components`, name: 'components', 'data-focus': `${id}-components`, value: content.components.join(', '),
        oninput: (/** @type {Event} */ e) => set({ components: /** @type {HTMLInputElement} */ (e.target).value.split(',').map((k) => k.trim()).filter(Boolean) }),
      })),
    subjectField,
    h('label', { class: 'field wide' }, 'Wording',
      h('textarea', {
        id: `${id}-body`, name: 'body', rows: 5, 'data-focus': `${id}-body`, maxlength: 5000,
        oninput: (/** @type {Event} */ e) => set({ body: /** @type {HTMLTextAreaElement} */ (e.target).value }),
      }, content.body)),
    h('p', { class: 'muted small wide' }, 'Placeholders such as ', code('{{incident.title}}'), ', ', code('{{incident.statusPageUrl}}'), ', ',
      code('{{customer.name}}'), ', ', code('{{csm.name}}'), ' are filled in each message; an unknown one is refused by name.'));
}

/** The preview (or the refusal) of the last save. @param {string} editKey */
function outcomePanel(editKey) {
  const o = outcomes.get(editKey);
  if (!o) return null;
  if (o.error) return h('p', { class: 'error editor-error', role: 'alert' }, o.error);
  const p = o.preview;
  if (!p) return null;
  return h('section', { class: 'preview', 'aria-label': 'Preview' },
    h('h3', null, 'Preview'),
    h('p', { class: 'muted small' }, `For the example incident ${p.example.incident} (${label(p.example.stage)}), customer ${p.example.customer}, CSM ${p.example.csm}.`),
    p.warnings.map((w) => h('p', { class: 'warn-text small' }, w)),
    p.slack !== undefined ? h('div', { class: 'preview-slack' }, h('h4', null, 'Slack alert — Approved Messaging'), h('blockquote', null, p.slack)) : null,
    p.email ? h('div', { class: 'preview-email' }, h('h4', null, 'Customer email'),
      h('p', { class: 'email-subject' }, h('strong', null, 'Subject: '), p.email.subject), h('pre', { class: 'email-text' }, p.email.text)) : null);
}

/**
 * Runs an editor action, keeping its preview or refusal for the next render.
 * @param {string} editKey @param {ViewContext} ctx @param {() => Promise<unknown>} work @param {string} [done]
 */
async function act(editKey, ctx, work, done) {
  try {
    const res = /** @type {{ preview?: Preview } | null} */ (await work());
    outcomes.set(editKey, res?.preview ? { preview: res.preview } : {});
    if (done) flash = done;
  } catch (err) {
    outcomes.set(editKey, { error: failureText(err) });
  }
  await ctx.refresh();
}

const base = (/** @type {string} */ key) => `/api/templates/${encodeURIComponent(key)}`;

/** @type {import('../types').View<import('../types').TemplateList>} */
export const templateListView = {
  title: () => 'Templates',
  url: () => '/api/templates',
  // Templates change when someone edits them, not by themselves: a slow poll keeps the editor still.
  pollSeconds: 60,
  render(data, ctx) {
    const editKey = '(new)';
    const content = edits.get(editKey) ?? blank();
    /** @type {HTMLInputElement} */
    const keyInput = h('input', {
      type: 'text', id: 'new-key', name: 'key', 'data-focus': 'new-key', required: true, pattern: '[a-z0-9][a-z0-9._\\-]*', maxlength: 100,
      placeholder: 'p1-investigating-email', value: newKey, oninput: () => { newKey = keyInput.value; },
    });
    const create = async () => {
      const key = keyInput.value.trim();
      if (!NEW_KEY.test(key)) {
        outcomes.set(editKey, { error: 'A key is lower-case letters, digits, ".", "_" or "-", starting with a letter or digit.' });
        return ctx.refresh();
      }
      try {
        await sendJson('POST', `${base(key)}/versions`, edits.get(editKey) ?? content);
        edits.delete(editKey);
        outcomes.delete(editKey);
        newKey = '';
        flash = `Draft v1 of ${key} saved.`;
        location.hash = `#/templates/${encodeURIComponent(key)}`;
      } catch (err) {
        outcomes.set(editKey, { error: failureText(err) });
        await ctx.refresh();
      }
    };
    return h('div', { class: 'templates' },
      pageHeader('Message templates', h('p', { class: 'summary' }, 'Only a version approved by someone other than its author is ever used.')),
      data.templates.length === 0
        ? emptyState('No templates yet', h('p', null, 'Write the first one below, or import them with ', code('npm run import -- templates.csv'), '.'))
        : h('div', { class: 'table-wrap' }, h('table', { class: 'template-list stack' },
          h('thead', null, h('tr', null, ['Template', 'For', 'In use', 'Newest version', 'Updated'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, data.templates.map((t) => h('tr', { 'data-template': t.key },
            h('th', { scope: 'row', 'data-label': 'Template' }, h('div', { class: 'cell' }, h('a', { href: `#/templates/${encodeURIComponent(t.key)}` }, t.key))),
            h('td', { 'data-label': 'For' }, h('div', { class: 'cell' }, target(t.latest))),
            h('td', { 'data-label': 'In use' }, h('div', { class: 'cell' }, t.activeVersion ? `v${t.activeVersion}` : h('span', { class: 'warn-text' }, 'none approved'))),
            h('td', { 'data-label': 'Newest version' }, h('div', { class: 'cell' }, `v${t.latest.version} `, stateBadge(t.latest.state))),
            h('td', { 'data-label': 'Updated' }, h('div', { class: 'cell' }, timeEl(t.latest.updatedAt)))))))),
      h('section', { class: 'editor', 'aria-labelledby': 'new-template' },
        h('h2', { id: 'new-template' }, 'New template'),
        h('form', {
          onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); void create(); },
        }, h('label', { class: 'field' }, 'Key', keyInput), editorFields('new', editKey, content),
        h('div', { class: 'editor-actions' }, h('button', { type: 'submit', 'data-focus': 'new-save' }, 'Save draft'))),
        outcomePanel(editKey)));
  },
};

/** The open version's panel: a draft to edit and submit, or a submitted one to approve or return. */
/** @param {string} key @param {Version | undefined} open @param {Version | undefined} basis @param {ViewContext} ctx */
function openPanel(key, open, basis, ctx) {
  const editKey = `${key}#${open?.version ?? 'next'}`;
  if (open?.state === 'submitted') {
    /** @type {HTMLInputElement} */
    const reason = h('input', { type: 'text', id: 'return-reason', name: 'reason', 'data-focus': 'return-reason', placeholder: 'What should change' });
    const url = `${base(key)}/versions/${open.version}`;
    return h('section', { class: 'editor', 'aria-labelledby': 'open-title' },
      h('h2', { id: 'open-title' }, `Version ${open.version} awaits approval `, stateBadge(open.state)),
      h('p', null, 'For: ', target(open)),
      open.subject ? h('p', null, h('strong', null, 'Subject: '), open.subject) : null,
      h('blockquote', { class: 'wording' }, open.body),
      h('p', { class: 'muted small' }, `Written by ${open.createdBy ?? 'unknown'}, submitted by ${open.submittedBy ?? 'unknown'} `, timeEl(open.submittedAt),
        '. Someone else approves it.'),
      h('div', { class: 'editor-actions' },
        h('button', { type: 'button', class: 'primary', 'data-focus': 'approve', onclick: () => act(editKey, ctx, () => sendJson('POST', `${url}/approve`), `Version ${open.version} approved: it is now the one in use.`) }, 'Approve'),
        h('label', { class: 'visually-hidden', for: 'return-reason' }, 'Reason to return it'), reason,
        h('button', {
          type: 'button', 'data-focus': 'return',
          onclick: () => act(editKey, ctx, () => sendJson('POST', `${url}/return`, { reason: reason.value.trim() || 'Changes requested' }), `Version ${open.version} returned to draft.`),
        }, 'Return to draft')),
      outcomePanel(editKey));
  }
  const content = edits.get(editKey) ?? (open ? contentOf(open) : basis ? contentOf(basis) : blank());
  const current = () => edits.get(editKey) ?? content;
  const save = () => (open
    ? sendJson('PUT', `${base(key)}/versions/${open.version}`, current())
    : sendJson('POST', `${base(key)}/versions`, current()));
  const saved = () => edits.delete(editKey);
  return h('section', { class: 'editor', 'aria-labelledby': 'open-title' },
    h('h2', { id: 'open-title' }, open ? [`Draft version ${open.version} `, stateBadge(open.state)] : 'Start a new version'),
    open?.returnReason ? h('p', { class: 'notice' }, `Returned by ${open.returnedBy ?? 'a reviewer'}: ${open.returnReason}`) : null,
    h('form', { onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); void act(editKey, ctx, async () => { const r = await save(); saved(); return r; }, 'Draft saved.'); } },
      editorFields('edit', editKey, content),
      h('div', { class: 'editor-actions' },
        h('button', { type: 'submit', 'data-focus': 'save' }, 'Save draft'),
        h('button', { type: 'button', 'data-focus': 'preview', onclick: () => act(editKey, ctx, () => sendJson('POST', '/api/templates/preview', current())) }, 'Preview'),
        open ? h('button', {
          type: 'button', class: 'primary', 'data-focus': 'submit',
          onclick: () => act(editKey, ctx, async () => {
            const r = await save();
            saved();
            await sendJson('POST', `${base(key)}/versions/${open.version}/submit`);
            return r;
          }, `Version ${open.version} submitted for approval.`),
        }, 'Submit for approval') : null)),
    outcomePanel(editKey));
}

/** @type {import('../types').View<import('../types').TemplateHistory>} */
export const templateView = {
  title: (data) => `Template ${data.key}`,
  url: (params) => base(params[0] ?? ''),
  pollSeconds: 60,
  render(data, ctx) {
    const open = data.versions.find((v) => v.state === 'draft' || v.state === 'submitted');
    const active = data.versions.find((v) => v.state === 'active');
    const message = flash;
    flash = null;
    return h('div', { class: 'templates' },
      h('p', { class: 'breadcrumb' }, h('a', { href: '#/templates' }, '← All templates')),
      pageHeader(data.key, h('p', { class: 'summary' }, active ? `Version ${active.version} is in use, approved by ${active.approvedBy ?? 'unknown'}.` : 'No version approved yet: Forewarn uses another template or its neutral sentence.')),
      message ? h('p', { class: 'flash', role: 'status' }, message) : h('p', { class: 'flash', role: 'status', hidden: true }),
      openPanel(data.key, open, active ?? data.versions[0], ctx),
      h('section', { 'aria-labelledby': 'versions-title' },
        h('h2', { id: 'versions-title' }, 'Versions'),
        h('div', { class: 'table-wrap' }, h('table', { class: 'versions stack' },
          h('thead', null, h('tr', null, ['Version', 'State', 'For and wording', 'Written', 'Submitted', 'Approved', 'Notes'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, data.versions.map((v) => h('tr', { 'data-version': v.version },
            h('th', { scope: 'row', 'data-label': 'Version' }, h('div', { class: 'cell' }, `v${v.version}`)),
            h('td', { 'data-label': 'State' }, h('div', { class: 'cell' }, stateBadge(v.state))),
            h('td', { 'data-label': 'For and wording' }, h('div', { class: 'cell' }, h('div', { class: 'muted small' }, target(v)),
              v.subject ? h('div', { class: 'small' }, 'Subject: ', v.subject) : null, h('div', { class: 'wording-cell' }, v.body))),
            h('td', { 'data-label': 'Written' }, h('div', { class: 'cell' }, v.createdBy ?? '—', h('div', { class: 'muted small' }, timeEl(v.createdAt)))),
            h('td', { 'data-label': 'Submitted' }, h('div', { class: 'cell' }, v.submittedBy ?? '—', v.submittedAt ? h('div', { class: 'muted small' }, timeEl(v.submittedAt)) : null)),
            h('td', { 'data-label': 'Approved' }, h('div', { class: 'cell' }, v.approvedBy ?? '—', v.approvedAt ? h('div', { class: 'muted small' }, timeEl(v.approvedAt)) : null)),
            h('td', { 'data-label': 'Notes' }, h('div', { class: 'cell small' },
              v.supersededAt ? ['Superseded ', timeEl(v.supersededAt)] : null,
              v.returnReason ? `Returned by ${v.returnedBy ?? 'a reviewer'}: ${v.returnReason}` : null)))))))));
  },
};
