/**
 * The one error every loader of `templates/` data throws (policy packs, surveys, calendar files,
 * greeting campaigns, message templates, roles): the start, or the command, stops with every problem
 * of every file at once, each naming its file, line, field and reason.
 */

/** One problem in a data file. */
export interface DataProblem {
  /** The file as shown to the operator (relative to the repository root when inside it); null for problems across files. */
  file: string | null;
  /** 1-based line of the offending node (or its nearest existing parent); null when the file has no lines to point at. */
  line: number | null;
  /** The field, e.g. `steps.0.deadline` or `years[0].holidays[1].to`; `(root)`/`(file)` for the whole document; null when not about a field. */
  path: string | null;
  /** What is wrong and, where possible, how to fix it. */
  reason: string;
}

/** `file:line: path: reason`, leaving out the parts a problem does not have. */
export function describeDataProblem(problem: DataProblem): string {
  const where = problem.file === null ? '' : problem.line === null ? `${problem.file}: ` : `${problem.file}:${problem.line}: `;
  return `${where}${problem.path === null ? '' : `${problem.path}: `}${problem.reason}`;
}

/**
 * Invalid data under `templates/` (or in a package's shipped data). The CLI maps it to exit code 78
 * (EX_CONFIG), like a configuration error; the service does not start.
 */
export class DataLoadError extends Error {
  override readonly name = 'DataLoadError';
  /** Every problem found, in file order. */
  readonly details: DataProblem[];
  /** The same problems as `file:line: path: reason` lines. */
  readonly problems: string[];

  /**
   * @param subject what was being loaded, plural where several files may be at fault: `policy pack(s)`.
   * @param problems at least one.
   */
  constructor(readonly subject: string, problems: readonly DataProblem[]) {
    const lines = problems.map(describeDataProblem);
    super(`Invalid ${subject}:\n  ${lines.join('\n  ')}`);
    this.details = [...problems];
    this.problems = lines;
  }

  /** File of the first problem (the one an operator fixes first). */
  get file(): string | null {
    return this.details[0]?.file ?? null;
  }

  /** Line of the first problem. */
  get line(): number | null {
    return this.details[0]?.line ?? null;
  }

  /** Field of the first problem. */
  get path(): string | null {
    return this.details[0]?.path ?? null;
  }

  /** Reason of the first problem. */
  get reason(): string {
    return this.details[0]?.reason ?? '';
  }
}
