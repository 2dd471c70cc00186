import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no activity code.
const forbiddenInWorkflows = [
  ...builtinModules.flatMap((m) => [m, `node:${m}`, `${m}/*`]),
  'pg', 'kysely', '@slack/web-api', 'googleapis',
  '@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.temporal/**', '.data/**', 'test-results/**', 'dist/**', '.tools/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The dashboard's browser code (served as-is, typed by JSDoc in api/dashboard/public/tsconfig.json):
    // text reaches the page only through textContent, so webhook data can never inject markup.
    files: ['api/dashboard/public/**/*.js'],
    languageOptions: { sourceType: 'module' },
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "AssignmentExpression > MemberExpression.left[property.name=/^(innerHTML|outerHTML)$/]", message: 'Build nodes with h() / s(); text goes through textContent.' },
        { selector: "CallExpression[callee.property.name=/^(insertAdjacentHTML|write|writeln)$/]", message: 'Build nodes with h() / s(); text goes through textContent.' }],
      'no-restricted-globals': ['error', 'eval'],
    },
  },
  {
    // Migrations are typed Kysely<any> on purpose: they must not depend on today's Database type.
    files: ['migrations/**/*.ts', 'db/migrate.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: forbiddenInWorkflows.filter((m) => !m.endsWith('/*')).map((name) => ({ name, message: 'Workflow code must stay deterministic: use an activity.' })),
        patterns: [
          { group: forbiddenInWorkflows.filter((m) => m.endsWith('/*')), message: 'Workflow code must stay deterministic: use an activity.' },
          { group: ['**/activities/*', '!**/activities/types'], message: 'Workflows may only import activity types (import type).', allowTypeImports: true },
        ],
      }],
    },
  },
  {
    // The incident model lives in domain/incident: configuration and side effects depend on it, not
    // on workflow code. Activities that start or signal workflows (status-page sync, support
    // spikes) are Temporal clients like the API, and may use the contract.
    files: ['config/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['**/workflows/*'], message: 'config/ depends on domain/, not on workflows/.' }] }],
    },
  },
  {
    files: ['activities/**/*.ts', 'db/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ group: ['**/workflows/*', '!**/workflows/contract'], message: 'Only the workflow contract (ids, signals, start options) may be used outside workflows/.' }],
      }],
    },
  },
);
