import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no activity code.
const forbiddenInWorkflows = [
  ...builtinModules.flatMap((m) => [m, `node:${m}`, `${m}/*`]),
  'pg', 'kysely', '@slack/web-api', 'googleapis',
  '@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.temporal/**', '.data/**', 'test-results/**', 'api/dashboard/public/**', 'dist/**', '.tools/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
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
