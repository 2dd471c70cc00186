// Tokens (admins): API tokens for integrations or for a person — created here and shown once,
// listed with their scopes and last use, revoked at once.
import { failureText, getJson, sendJson } from '../api.js';
import { cell, h, pageHeader, rowHeader, timeEl } from '../dom.js';

const SCOPES = [['read', 'Read'], ['write', 'Write'], ['import', 'Import'], ['webhooks', 'Webhooks']];

/** The token just created: shown until the next change of view, never again. */
let created = /** @type {{ name: string, token: string } | null} */ (null);
let problem = /** @type {string | null} */ (null);


/** Whom a token can be for: the people who have signed in, read when the view is first shown. */
let people = /** @type {import('../types').PersonView[] | null} */ (null);

/** @param {import('../types').ViewContext} ctx */
function personSelect(ctx) {
  if (people === null) {
    people = [];
    getJson('/api/people').then(({ data }) => {
      people = /** @type {import('../types').PeopleList} */ (data).items;
      void ctx.refresh();
    }, (err) => { problem = failureText(err); });
  }
  return /** @type {HTMLSelectElement} */ (h('select', { id: 'token-person', 'data-focus': 'token-person' },
    h('option', { value: '' }, 'An integration (no person)'),
    people.map((p) => h('option', { value: p.id }, `${p.name} (${p.email})`))));
}

/** @param {import('../types').ViewContext} ctx */
function createForm(ctx) {
  const name = /** @type {HTMLInputElement} */ (h('input', { id: 'token-name', name: 'name', required: true, maxlength: 100, 'data-focus': 'token-name', placeholder: 'e.g. CRM sync' }));
  const person = personSelect(ctx);
  const boxes = SCOPES.map(([value, lbl]) => {
    const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: `scope-${value}`, value, checked: value === 'read' }));
    return { box, node: h('label', { for: `scope-${value}` }, box, ` ${lbl}`) };
  });
  return h('form', {
    class: 'token-form', 'aria-label': 'Create an API token',
    onsubmit: async (/** @type {Event} */ e) => {
      e.preventDefault();
      const scopes = boxes.filter((b) => b.box.checked).map((b) => b.box.value);
      try {
        const res = await sendJson('POST', '/api/tokens', { name: name.value.trim(), scopes, ...(person.value ? { personId: person.value } : {}) });
        created = { name: res.name, token: res.token };
        problem = null;
      } catch (err) {
        problem = failureText(err);
        created = null;
      }
      await ctx.refresh();
    },
  },
  h('div', null, h('label', { for: 'token-name' }, 'Name'), name),
  h('div', null, h('label', { for: 'token-person' }, 'For'), person),
  h('fieldset', null, h('legend', { class: 'visually-hidden' }, 'Scopes'), boxes.map((b) => b.node)),
  h('button', { type: 'submit' }, 'Create token'));
}

/** @param {import('../types').ApiTokenView} t @param {import('../types').ViewContext} ctx */
function row(t, ctx) {
  const revoke = async () => {
    try {
      await sendJson('DELETE', `/api/tokens/${encodeURIComponent(t.id)}`);
      problem = null;
    } catch (err) {
      problem = failureText(err);
    }
    created = null;
    await ctx.refresh();
  };
  return h('tr', { 'data-token-id': t.id, class: t.revokedAt ? 'no-longer' : null },
    rowHeader('Name', t.name, h('div', { class: 'muted small' }, h('code', null, `${t.prefix}…`))),
    cell('Scopes', t.scopes.join(', ')),
    cell('For', t.person ? `${t.person.name} (${t.person.email})` : 'Integration'),
    cell('Created', timeEl(t.createdAt), h('div', { class: 'muted small' }, `by ${t.createdBy}`)),
    cell('Last used', t.lastUsedAt ? timeEl(t.lastUsedAt) : 'never'),
    cell('Status', t.revokedAt
      ? h('span', null, 'Revoked ', timeEl(t.revokedAt))
      : h('button', { type: 'button', class: 'revoke', onclick: () => { void revoke(); } }, 'Revoke', h('span', { class: 'visually-hidden' }, ` ${t.name}`))));
}

/** @type {import('../types').View<import('../types').TokenList>} */
export const tokensView = {
  title: () => 'API tokens',
  url: () => '/api/tokens',
  render(data, ctx) {
    return h('div', null,
      pageHeader('API tokens'),
      h('p', { class: 'muted small' }, 'Tokens for integrations, or for a person (the token then acts as them, within their role), sent as "Authorization: Bearer <token>". Scopes: read (GET), write (changes), import, webhooks (POST /api/webhooks/incidents). A token is shown once; Forewarn keeps only its hash.'),
      createForm(ctx),
      created ? h('div', { class: 'token-shown', role: 'status' },
        h('strong', null, `Token "${created.name}" created. Copy it now: it is not shown again.`), h('br'),
        h('code', { id: 'new-token' }, created.token)) : null,
      problem ? h('p', { class: 'error', role: 'alert' }, problem) : null,
      h('div', { class: 'table-wrap' }, h('table', { class: 'tokens stack' },
        h('thead', null, h('tr', null, ['Name', 'Scopes', 'For', 'Created', 'Last used', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, data.items.length ? data.items.map((t) => row(t, ctx)) : h('tr', null, h('td', { colspan: 6 }, 'No tokens yet.'))))));
  },
};
