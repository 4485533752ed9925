/**
 * The documentation's relative links lead somewhere: every `[text](target)` in README.md, docs/ and the
 * READMEs under templates/ that is not a web address names a file or directory of the repository, and a
 * `#fragment` into a Markdown file names one of its headings (GitHub's anchors: lower case, punctuation
 * dropped, spaces as hyphens, `-1`, `-2` … for repeated headings). Code blocks and code spans are skipped.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

const FILES = [join(ROOT, 'README.md'), ...markdownFiles(join(ROOT, 'docs')), ...markdownFiles(join(ROOT, 'templates')).filter((f) => f.endsWith('README.md'))];

/** The text outside fenced code blocks, with code spans blanked; line breaks kept. */
function prose(text: string): string {
  let fenced = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line.replace(/`[^`]*`/g, '``');
    })
    .join('\n');
}

/** GitHub's anchor for a heading's text. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of prose(readFileSync(file, 'utf8')).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Relative link targets: `[text](target)` and `[text](<target>)`, without web and mail addresses. */
function linksOf(file: string): string[] {
  const text = prose(readFileSync(file, 'utf8'));
  const targets: string[] = [];
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    targets.push(target);
  }
  return targets;
}

describe('relative links in the documentation', () => {
  it('finds the documents and their links', () => {
    expect(FILES.length).toBeGreaterThan(10);
    expect(linksOf(join(ROOT, 'docs/zh-CN/README.md')).length).toBeGreaterThan(3);
  });

  it.each(FILES.map((f) => [relative(ROOT, f), f]))('%s', (_name, file) => {
    const broken: string[] = [];
    for (const target of linksOf(file)) {
      const [rawPath, fragment] = target.split('#', 2) as [string, string | undefined];
      const path = decodeURIComponent(rawPath);
      const destination = path === '' ? file : resolve(dirname(file), path);
      if (!existsSync(destination)) {
        broken.push(`${target}: no such file`);
        continue;
      }
      if (fragment === undefined || !destination.endsWith('.md') || statSync(destination).isDirectory()) continue;
      if (!anchorsOf(destination).has(decodeURIComponent(fragment).toLowerCase())) broken.push(`${target}: no such heading in ${relative(ROOT, destination)}`);
    }
    expect(broken).toEqual([]);
  });
});
