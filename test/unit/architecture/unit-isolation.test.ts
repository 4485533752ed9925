// STYLE T1: test/unit is the core and pure helpers only — no database, no child process. Each unit test
// file's static imports are followed through our own modules (type-only imports excluded, as they are
// erased); none may reach a database module or node:child_process. Lazy `import()` inside bot/ is not
// followed: a command that opens the database only when asked (`simulate --org database`) stays usable
// in-process. A test that needs a database or a process belongs in test/integration.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const UNIT = join(ROOT, 'test/unit');

/** What a unit test may not load, by module specifier or by our own file. */
const FORBIDDEN_PACKAGES: [RegExp, string][] = [
  [/^(node:)?child_process$/, 'a child process'],
  [/^@prisma\//, 'Prisma'],
  [/^(pg|better-sqlite3)$/, 'a database driver'],
];
/**
 * Imports not followed: a command's default `withApp` (bot/commands/with-app.ts) assembles the service
 * over the configured database. In-process command tests pass their own (the service over memory
 * stores), so the default is loaded with the command but never called.
 */
const INJECTED_DEFAULTS: [from: RegExp, to: RegExp][] = [[/^bot\/commands\/[^/]+\.ts$/, /^bot\/commands\/with-app\.ts$/]];
const FORBIDDEN_FILES: [RegExp, string][] = [
  [/^bot\/db\//, 'a database store'],
  [/^prisma\//, 'the generated Prisma client'],
  [/^test\/support\/(db|global-setup|service|replica|replica-process|e2e)\.ts$/, 'a test database or service helper'],
];

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? testFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Runtime imports of a module: static `import … from`, `export … from` and side-effect imports, plus `import()` when asked. */
function imports(text: string, withDynamic: boolean): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found: string[] = [];
  for (const m of code.matchAll(/\b(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g)) {
    if (m[2]) continue;
    // `import { type A, type B } from` is erased too.
    const names = m[3]!.replace(/^\{|\}$/g, '').split(',').map((s) => s.trim()).filter(Boolean);
    if (m[3]!.startsWith('{') && names.length > 0 && names.every((n) => n.startsWith('type '))) continue;
    found.push(m[4]!);
  }
  for (const m of code.matchAll(/\bimport\s+['"]([^'"]+)['"]/g)) found.push(m[1]!);
  if (withDynamic) for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

function resolveFile(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** The first forbidden module reachable from `entry`, with the chain of imports that reaches it. */
function forbiddenReach(entry: string): string | null {
  const seen = new Set<string>();
  const queue: { file: string; chain: string[] }[] = [{ file: entry, chain: [relative(ROOT, entry)] }];
  while (queue.length > 0) {
    const { file, chain } = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const path = relative(ROOT, file);
    for (const [pattern, what] of FORBIDDEN_FILES) if (pattern.test(path)) return `${what}: ${chain.join(' → ')}`;
    const inTests = path.startsWith('test/');
    for (const specifier of imports(readFileSync(file, 'utf8'), inTests)) {
      for (const [pattern, what] of FORBIDDEN_PACKAGES) if (pattern.test(specifier)) return `${what}: ${[...chain, specifier].join(' → ')}`;
      const next = resolveFile(file, specifier);
      if (next && INJECTED_DEFAULTS.some(([from, to]) => from.test(path) && to.test(relative(ROOT, next)))) continue;
      if (next && next.endsWith('.ts')) queue.push({ file: next, chain: [...chain, relative(ROOT, next)] });
    }
  }
  return null;
}

describe('unit tests start no process and open no database', () => {
  const files = testFiles(UNIT).filter((f) => f.endsWith('.test.ts'));
  it('finds the unit tests', () => {
    expect(files.length).toBeGreaterThan(20);
  });
  it('recognises a forbidden import when it sees one', () => {
    // Built from parts, so that this file's own source holds no such import.
    const spawning = ['import { execFile } from ', "'node:", "child_process';"].join('');
    expect(imports(`${spawning}\nimport type { X } from '../db/client.js';`, false)).toEqual(['node:child_process']);
    expect(imports(`import { type A, type B } from './x.js';\nconst m = await import('./y.js');`, true)).toEqual(['./y.js']);
    expect(forbiddenReach(join(ROOT, 'test/support/service.ts'))).toContain('a test database or service helper');
  });
  for (const file of files) {
    it(`${relative(UNIT, file)} reaches neither a database module nor node:child_process`, () => {
      expect(forbiddenReach(file)).toBeNull();
    });
  }
});
