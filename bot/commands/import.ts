import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { ROOT_DIR } from '../huifang.js';
import { loadRoleCatalogue } from '../loaders/load-roles.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';
import { CsvFileError, formatProblems, openCsv, type CsvEncoding, type ImportProblem } from '../import/read-csv.js';
import { importStaff, STAFF_COLUMNS } from '../import/import-staff.js';
import { CUSTOMER_COLUMNS, importCustomers } from '../import/import-customers.js';
import { CASE_HEADER, importCases } from '../import/import-cases.js';

export const IMPORT_USAGE = `Usage: huifang import staff|customers|cases FILE.csv [--dry-run] [--skip-invalid] [--encoding utf-8|gb18030] [--json]
       huifang import staff FILE.csv [--deactivate-missing]
Columns, encodings and examples: templates/import/README.md`;

/**
 * `huifang import staff|customers|cases FILE.csv`. Returns the exit code: 0 imported (or dry run
 * clean), 1 rejected or some rows failed, 2 usage error. `withApp` provides the assembled service
 * (migrated database) for the duration of the import.
 */
export async function runImportCommand(
  argv: string[],
  withApp: WithApp = defaultWithApp,
  rootDir: string = ROOT_DIR,
  output: CommandOutput = consoleOutput,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'dry-run': { type: 'boolean', default: false },
        'skip-invalid': { type: 'boolean', default: false },
        'deactivate-missing': { type: 'boolean', default: false },
        encoding: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    output.err(`${(err as Error).message}\n${IMPORT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [kind, file] = positionals;
  if (!kind || !file || !['staff', 'customers', 'cases'].includes(kind) || positionals.length > 2) {
    output.err(IMPORT_USAGE);
    return 2;
  }
  if (values['deactivate-missing'] && kind !== 'staff') {
    output.err('--deactivate-missing applies to staff imports only');
    return 2;
  }
  let encoding: CsvEncoding | undefined;
  if (values.encoding !== undefined) {
    const e = values.encoding.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (e === 'utf8') encoding = 'utf-8';
    else if (['gb18030', 'gbk', 'gb2312'].includes(e)) encoding = 'gb18030';
    else {
      output.err('--encoding must be utf-8 or gb18030 (gbk)');
      return 2;
    }
  }
  const dryRun = values['dry-run'] ?? false;
  const skipInvalid = values['skip-invalid'] ?? false;

  const header = kind === 'staff' ? { columns: STAFF_COLUMNS } : kind === 'customers' ? { columns: CUSTOMER_COLUMNS } : CASE_HEADER;
  let csv;
  try {
    csv = await openCsv(file, { ...header, ...(encoding ? { encoding } : {}) });
  } catch (err) {
    if (err instanceof CsvFileError) {
      output.err(`${err.message}${err.problems.length ? `:\n${formatProblems(err.problems)}` : ''}`);
      return 1;
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      output.err(`No such file: ${file}`);
      return 1;
    }
    throw err;
  }
  output.err(`Reading ${file} as ${csv.encoding.description}${dryRun ? ' — dry run, nothing will be written' : ''}`);
  const progress = (done: number, total: number) => output.err(`  ${done}/${total} rows written`);

  type Summary = { rejected: boolean; problems: ImportProblem[] } & Record<string, unknown>;
  const run = (): Promise<Summary> => withApp(async (app): Promise<Summary> => {
    if (kind === 'staff') {
      return { ...(await importStaff(app.directory.staff, csv.rows(), {
        roles: loadRoleCatalogue(join(rootDir, 'templates/policies')),
        newId: () => app.deps.ids.next(),
        dryRun,
        skipInvalid,
        deactivateMissing: values['deactivate-missing'] ?? false,
      })) };
    }
    if (kind === 'customers') {
      return { ...(await importCustomers(
        { customers: app.directory.customers, clock: app.clock, ids: app.deps.ids, optOutCustomer: (customerId, at, source, audit) => app.deps.customers.optOutCustomer(customerId, at, source, audit, app.deps.optOutScope) },
        () => csv.rows(),
        { dryRun, skipInvalid, onProgress: progress },
      )) };
    }
    return { ...(await importCases(app, () => csv.rows(), { dryRun, skipInvalid, onProgress: progress, submittedBy: `import:${file.split(/[\\/]/).pop()}` })) };
  });
  let summary: Summary;
  try {
    summary = await run();
  } catch (err) {
    // A row with text no database can store (read-csv.ts) stops the file on the validation pass, before
    // any row is written.
    if (err instanceof CsvFileError) {
      output.err(`${err.message}${err.problems.length ? `:\n${formatProblems(err.problems)}` : ''}`);
      return 1;
    }
    throw err;
  }

  const { problems, ...counts } = summary;
  if (values.json) {
    output.out(JSON.stringify({ kind, file, encoding: csv.encoding.encoding, encodingSource: csv.encoding.source, ...counts, problems }, null, 2));
  } else {
    if (problems.length > 0) output.err(`${summary.rejected ? 'Rejected — nothing was imported' : 'Problems'} (${problems.length}):\n${formatProblems(problems)}`);
    if (summary.rejected && !skipInvalid) output.err('Fix these rows, or add --skip-invalid to import the other rows.');
    if (!summary.rejected) output.out(describeSummary(kind, counts));
    // Cases imported but planned nothing: usually a value the pack does not know (a diagnosis outside the table).
    const unmatched = Array.isArray(counts.noStepApplies) ? (counts.noStepApplies as { line: number; attributes: string[] }[]) : [];
    if (unmatched.length > 0) {
      const shown = unmatched.slice(0, 20).map((u) => `  line ${u.line}: ${u.attributes.length > 0 ? `no step names its ${u.attributes.join(', ')}` : 'the steps need attributes the row lacks'}`);
      output.err(
        `没有步骤适用 — ${unmatched.length} imported case(s) got no follow-up (huifang simulate shows the values a pack accepts):\n${shown.join('\n')}${unmatched.length > shown.length ? `\n  … and ${unmatched.length - shown.length} more` : ''}`,
      );
    }
  }
  const failed = typeof counts.failed === 'number' && counts.failed > 0;
  return summary.rejected || failed ? 1 : 0;
}

function describeSummary(kind: string, c: Record<string, unknown>): string {
  const verb = c.dryRun ? 'Dry run — would import' : 'Imported';
  if (kind === 'staff') {
    return `${verb} ${String(c.rows)} staff rows: ${String(c.created)} created, ${String(c.updated)} updated, ${String(c.unchanged)} unchanged, ${String(c.deactivated)} deactivated, ${String(c.departmentsCreated)} departments created${c.skipped ? `, ${String(c.skipped)} invalid rows skipped` : ''}`;
  }
  if (kind === 'customers') {
    return `${verb} ${String(c.rows)} customer rows: ${String(c.created)} created, ${String(c.updated)} updated, ${String(c.unchanged)} unchanged, ${String(c.optedOut)} opted out${c.skipped ? `, ${String(c.skipped)} invalid rows skipped` : ''}`;
  }
  if (c.dryRun) return `Dry run — ${String(c.rows)} case rows are valid${c.skipped ? ` (${String(c.skipped)} invalid rows would be skipped)` : ''}; nothing was submitted`;
  return `Imported ${String(c.rows)} case rows: ${String(c.created)} cases created, ${String(c.resubmitted)} resubmitted, ${String(c.followUpsAdded)} follow-ups scheduled${c.failed ? `, ${String(c.failed)} refused` : ''}${c.skipped ? `, ${String(c.skipped)} invalid rows skipped` : ''}`;
}
