/** Shared output of the benchmarks: JSON results in bench/results, one section each in bench/README.md. */
import { promises as fs } from 'node:fs';
import path from 'node:path';

const BENCH = __dirname;

/** Nearest-rank percentile of a list of timings. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

export async function writeResult(name: string, result: unknown): Promise<void> {
  const dir = path.join(BENCH, 'results');
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  // Write then rename: an interrupted run never leaves half a file behind.
  await fs.writeFile(`${file}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  await fs.rename(`${file}.tmp`, file);
}

/**
 * Replaces the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` in
 * bench/README.md, appending the section when it is not there yet; other sections are untouched.
 */
export async function replaceReadmeSection(name: string, body: string): Promise<void> {
  const file = path.join(BENCH, 'README.md');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  let text = await fs.readFile(file, 'utf8').catch(() => '# Benchmarks\n');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from >= 0 && to > from) text = `${text.slice(0, from)}${block}${text.slice(to + end.length)}`;
  else text = `${text.trimEnd()}\n\n${block}\n`;
  await fs.writeFile(file, text);
}
