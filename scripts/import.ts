/**
 * `npm run import -- FILE [FILE...] [--dry-run]`: imports a JSON export and/or CSV files per entity
 * (csms.csv, components.csv, customers.csv, templates.csv, usage.csv) into the database of
 * DATABASE_URL, or the dev launcher's embedded Postgres when it is empty. All files go in one
 * transaction: with any error nothing is imported and every error is printed (exit code 1).
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { ConfigError, loadConfig } from '../config';
import { createDb } from '../db/connect';
import { databaseUrl } from '../db/embedded';
import { applyImport, type ImportCounts } from '../db/import';
import { recordAudit } from '../db/audit';
import { IMPORT_ENTITIES, recordsFromJson, rowCount, validateRecords, type ImportError, type SourceRecord } from '../domain/import';
import { recordsFromCsv } from '../domain/import-csv';

const USAGE = `Usage: npm run import -- FILE [FILE...] [--dry-run]
  FILE       a JSON file in the import format, or a CSV file named for its entity
             (csms.csv, components.csv, customers.csv, templates.csv, usage.csv)
  --dry-run  check everything against the database and count the changes, then roll back`;

/** Reads the files into records; a file that cannot be read or parsed is an error, not a crash. */
export function readImportFiles(files: string[]): { records: SourceRecord[]; errors: ImportError[] } {
  const records: SourceRecord[] = [];
  const errors: ImportError[] = [];
  for (const file of files) {
    const name = path.basename(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      errors.push({ path: file, message: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    const ext = path.extname(file).toLowerCase();
    if (ext === '.csv') {
      const r = recordsFromCsv({ name, text });
      records.push(...r.records);
      errors.push(...r.errors);
    } else if (ext === '.json') {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        errors.push({ path: name, message: `is not valid JSON: ${(err as Error).message}` });
        continue;
      }
      const r = recordsFromJson(doc, `${name} `);
      records.push(...r.records);
      errors.push(...r.errors);
    } else {
      errors.push({ path: name, message: 'must be a .json file in the import format or a .csv file named for its entity' });
    }
  }
  return { records, errors };
}

const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

function formatCounts(counts: ImportCounts): string {
  return IMPORT_ENTITIES.map((e) => {
    const c = counts[e];
    return `  ${e.padEnd(11)} ${String(c.inserted).padStart(7)} inserted  ${String(c.updated).padStart(7)} updated  ${String(c.unchanged).padStart(7)} unchanged`;
  }).join('\n');
}

async function main(argv: string[]): Promise<number> {
  const dryRun = argv.includes('--dry-run');
  const unknown = argv.filter((a) => a.startsWith('-') && a !== '--dry-run');
  const files = argv.filter((a) => !a.startsWith('-'));
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (files.length === 0 || unknown.length > 0) {
    console.error(unknown.length ? `Unknown option ${unknown.join(', ')}\n${USAGE}` : USAGE);
    return 2;
  }

  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }

  const started = Date.now();
  const { records, errors } = readImportFiles(files);
  const validation = validateRecords(records, errors);
  const url = databaseUrl(config);
  const db = createDb(url, 2);
  const total = rowCount(validation.data);
  // A bar only where someone watches it, and only when the wait is worth showing.
  const bar = process.stderr.isTTY && total >= 2000 && validation.errors.length === 0
    ? new SingleBar({ format: 'Importing {entity} [{bar}] {percentage}% | {value}/{total} rows | {duration}s', stream: process.stderr }, Presets.shades_classic)
    : undefined;
  try {
    bar?.start(total, 0, { entity: '' });
    const result = await applyImport(db, validation, {
      dryRun,
      onProgress: (p) => bar?.update(p.done, { entity: p.entity.padEnd(10) }),
    });
    bar?.stop();
    const source = files.map((f) => path.basename(f)).join(', ');
    if (!result.ok) {
      const n = result.errors.length;
      console.error(`Import of ${source} rejected: ${n} error${n === 1 ? '' : 's'}; nothing was imported.`);
      for (const e of result.errors) console.error(`  ${e.path}: ${e.message}`);
      return 1;
    }
    if (!result.dryRun) {
      // On record like an import through the API; the command line has no signed-in person, only the OS user.
      await recordAudit(db, {
        actor: { kind: 'system', id: 'import:command-line', name: `import (command line, ${userInfo().username})` },
        action: 'import.applied', detail: { format: 'files', files: files.map((f) => path.basename(f)), counts: result.counts },
      });
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${result.dryRun ? 'Dry run (nothing written)' : 'Imported'} ${source} in ${seconds} s:\n${formatCounts(result.counts)}`);
    return 0;
  } catch (err) {
    bar?.stop();
    const e = err as NodeJS.ErrnoException & { code?: string };
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === '28P01' || e.code === '3D000') {
      console.error(`Cannot use the database at ${redact(url)}: ${e.message}.\n`
        + (config.databaseUrl ? 'Check DATABASE_URL.' : 'DATABASE_URL is empty, so this is the dev launcher\'s embedded Postgres: start it with `npm run dev`, or set DATABASE_URL.'));
      return 1;
    }
    if (e.code === '42P01') {
      console.error(`The database at ${redact(url)} has no Forewarn tables yet (${e.message}): run \`npm run migrate\` first.`);
      return 1;
    }
    throw err;
  } finally {
    await db.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    console.error(err);
    process.exit(1);
  });
}
