/** What the deployment files (docker-compose.yml, deploy/k8s) are checked against. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const ROOT = path.resolve(__dirname, '../..');

/** The entry points `npm run build` compiles, as the `node dist/...` commands that run them. */
export function builtCommands(): string[][] {
  const text = readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8');
  const { config, error } = ts.parseConfigFileTextToJson('tsconfig.build.json', text);
  if (error) throw new Error(String(error.messageText));
  return (config.files as string[]).map((f) => ['node', `dist/${f.replace(/\.ts$/, '.js')}`]);
}

/** '30s', '1m30s' (compose durations) in seconds. */
export function seconds(duration: string): number {
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)(h|m|s)/g)) total += Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'];
  return total;
}
