/**
 * One YAML data file as the loaders see it: the parsed document plus the text's line table, so that
 * any problem — a syntax error, a schema issue from zod, a cross-reference found later — becomes a
 * {@link DataProblem} naming the file, the line, the field and the reason.
 */
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { DataLoadError, type DataProblem } from './data-load-error.js';

/** A path into the document, as zod and `yaml` give it: `['steps', 0, 'deadline']`. */
export type YamlPath = readonly (string | number)[];

/** How field paths are written in problems. */
export interface YamlPathStyle {
  /** `dot`: `steps.0.deadline`; `bracket`: `years[0].holidays[1].to` [dot]. */
  index?: 'dot' | 'bracket';
  /** The name of the whole document [`(root)`]. */
  root?: string;
}

export class YamlSource {
  readonly #doc: Document;
  readonly #lines: LineCounter;
  readonly #style: Required<YamlPathStyle>;

  /** Parses `text` (never throws: syntax errors are in {@link syntaxProblems}). */
  constructor(
    readonly text: string,
    /** The file as shown to the operator. */
    readonly file: string,
    style: YamlPathStyle = {},
  ) {
    this.#lines = new LineCounter();
    this.#doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: true, uniqueKeys: true });
    this.#style = { index: style.index ?? 'dot', root: style.root ?? '(root)' };
  }

  /** YAML syntax errors (bad indentation, an unclosed bracket, a key given twice), each with its line. */
  get syntaxProblems(): DataProblem[] {
    return this.#doc.errors.map((e) => ({ file: this.file, line: e.linePos?.[0]?.line ?? null, path: null, reason: e.message.split('\n')[0]! }));
  }

  /** The document as plain data (null for an empty file). */
  toData(): unknown {
    return this.#doc.toJS();
  }

  /**
   * Line of the node at `path`, or of its nearest existing parent: a missing key points at the mapping
   * that should hold it. Null only when the document is empty.
   */
  lineAt(path: YamlPath): number | null {
    for (let n = path.length; n >= 0; n--) {
      const node = this.#doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return this.#lines.linePos(node.range[0]).line;
    }
    return null;
  }

  /** `steps.0.deadline` or `years[0].holidays[1].to` (per the style); the root name for the whole document. */
  formatPath(path: YamlPath): string {
    const bracket = this.#style.index === 'bracket';
    const text = path.reduce<string>((s, p) => (typeof p === 'number' && bracket ? `${s}[${p}]` : s ? `${s}.${p}` : String(p)), '');
    return text || this.#style.root;
  }

  /** A problem about the field at `path`, located in this file. */
  problemAt(path: YamlPath, reason: string): DataProblem {
    return { file: this.file, line: this.lineAt(path), path: this.formatPath(path), reason };
  }

  /** zod's issues as located problems. */
  schemaProblems(issues: readonly z.ZodIssue[]): DataProblem[] {
    return issues.map((issue) => this.problemAt(issue.path, issue.message));
  }

  /**
   * The document validated by `schema`, or a {@link DataLoadError} (about `subject`) listing the syntax
   * errors, or else every schema issue. `empty` stands for an empty document.
   */
  validate<S extends z.ZodTypeAny>(schema: S, subject: string, empty: unknown = undefined): z.output<S> {
    const syntax = this.syntaxProblems;
    if (syntax.length > 0) throw new DataLoadError(subject, syntax);
    const data = this.toData();
    const result = schema.safeParse(data === null || data === undefined ? (empty ?? data) : data);
    if (!result.success) throw new DataLoadError(subject, this.schemaProblems(result.error.issues));
    return result.data as z.output<S>;
  }
}
