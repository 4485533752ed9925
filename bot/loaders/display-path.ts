import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (templates/ lives there). */
export const ROOT_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** A file as shown in problems and sources: relative to the repository root when inside it, else as given. */
export function displayPath(path: string): string {
  const rel = relative(ROOT_DIR, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
