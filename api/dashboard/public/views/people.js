// People (admins): everyone who has signed in, with the role Forewarn gives them (from the CSM
// records, or the admin flag), and the two rights an admin grants: admin, and approving message
// templates. Each change is one PATCH /api/people/:id, on the audit log; refusals show the reason.
import { failureText, sendJson } from '../api.js';
import { cell, h, pageHeader, rowHeader, timeEl } from '../dom.js';

/** @typedef {import('../types').PersonView} Person */

const ROLE_LABELS = { admin: 'Admin', manager: 'CS manager', csm: 'CSM' };
const RIGHTS = /** @type {const} */ ([['isAdmin', 'Admin'], ['canApproveTemplates', 'Approves templates']]);

let notice = /** @type {{ text: string, error: boolean } | null} */ (null);

/** @param {Person} p @param {(typeof RIGHTS)[number]} right @param {import('../types').ViewContext} ctx */
function rightBox(p, [field, label], ctx) {
  const id = `${field}-${p.id}`;
  const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id, 'data-focus': id, checked: p[field] }));
  box.addEventListener('change', async () => {
    try {
      await sendJson('PATCH', `/api/people/${encodeURIComponent(p.id)}`, { [field]: box.checked });
      notice = { text: `${p.name}: ${label.toLowerCase()} ${box.checked ? 'granted' : 'taken away'}.`, error: false };
    } catch (err) {
      notice = { text: failureText(err), error: true };
    }
    await ctx.refresh();
  });
  return h('label', { for: id }, box, ` ${label}`, h('span', { class: 'visually-hidden' }, ` (${p.name})`));
}

/** @param {Person} p @param {import('../types').ViewContext} ctx */
function row(p, ctx) {
  return h('tr', { 'data-person-id': p.id },
    rowHeader('Name', p.name, h('div', { class: 'muted small' }, p.email)),
    cell('Role', p.role ? ROLE_LABELS[p.role] : h('span', { class: 'muted' }, 'none (no longer a CSM or manager)')),
    cell('Last sign-in', p.lastSignInAt ? timeEl(p.lastSignInAt) : 'never'),
    cell('Rights', h('span', { class: 'rights' }, RIGHTS.map((r) => rightBox(p, r, ctx)))));
}

/** @type {import('../types').View<import('../types').PeopleList>} */
export const peopleView = {
  title: () => 'People',
  url: () => '/api/people',
  render(data, ctx) {
    return h('div', null,
      pageHeader('People'),
      h('p', { class: 'muted small' }, 'Everyone who has signed in. Roles come from the CSM records: a CSM changes their own customers\' outreach, a CS manager their team\'s. Admins manage tokens and people; approving message templates takes the right below (never one\'s own template).'),
      notice ? h('p', { class: notice.error ? 'error' : 'flash', role: notice.error ? 'alert' : 'status' }, notice.text) : null,
      h('div', { class: 'table-wrap' }, h('table', { class: 'people stack' },
        h('thead', null, h('tr', null, ['Name', 'Role', 'Last sign-in', 'Rights'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, data.items.length ? data.items.map((p) => row(p, ctx)) : h('tr', null, h('td', { colspan: 4 }, 'Nobody has signed in yet.'))))));
  },
};
