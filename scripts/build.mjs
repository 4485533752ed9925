#!/usr/bin/env node
// Compiles the service (bot/, jobs/) to JavaScript under dist/ with esbuild, so that `huifang` runs
// precompiled code instead of compiling TypeScript through tsx's loader at every start (which keeps a
// loader thread and the compiled sources in memory: see README, "Memory").
//
// dist/ is build output (ignored by git). Each build goes to its own directory, dist/<hash>/, named after
// the contents of its inputs, and dist/current.json names the newest: a process that is running keeps
// loading its lazy chunks from its own directory while another one builds. bin/huifang.mjs calls
// `ensureBuild()` at every start; it rebuilds only when an input changed. npm's postinstall runs this file.
//
// node scripts/build.mjs [--force]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where builds go [dist/]; tests pass their own directory. */
export const DIST_DIR = join(ROOT, 'dist');
const ENTRY = join(ROOT, 'bot', 'cli.ts');
/** This file is an input too: a change to how we build rebuilds. */
const SELF = fileURLToPath(import.meta.url);

const sha = (data) => createHash('sha256').update(data).digest('hex');
const toPosix = (p) => p.split(sep).join('/');

/** The hash of each input file now, or null when one is gone. */
function hashInputs(files) {
  const hashes = {};
  for (const file of files) {
    try {
      hashes[file] = sha(readFileSync(join(ROOT, file)));
    } catch {
      return null;
    }
  }
  return hashes;
}

/** The current build's entry file when it is up to date with its inputs, else null. */
export function freshEntry(distDir = DIST_DIR) {
  let current;
  try {
    current = JSON.parse(readFileSync(join(distDir, 'current.json'), 'utf8'));
  } catch {
    return null;
  }
  const entry = join(distDir, current.dir, 'cli.js');
  if (!existsSync(entry)) return null;
  const now = hashInputs(Object.keys(current.inputs));
  if (now === null) return null;
  for (const [file, hash] of Object.entries(current.inputs)) if (now[file] !== hash) return null;
  return entry;
}

/**
 * esbuild plugin: keeps the generated Prisma clients (CommonJS, which load their WASM query compiler
 * from their own directory) out of the bundle, imported from where they are; and gives each bundled
 * module its own `import.meta.url`/`import.meta.dirname` (the source file's), so that paths computed from
 * them (templates/, assets, the repository root) stay right wherever dist/ is.
 */
function sourceLocationPlugin(outdir) {
  return {
    name: 'huifang-source-location',
    setup(build) {
      build.onResolve({ filter: /prisma\/generated\// }, (args) => {
        const target = resolve(args.resolveDir, args.path);
        return { path: toPosix(relative(outdir, target)).replace(/^(?!\.)/, './'), external: true };
      });
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        let source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta')) return { contents: source, loader: 'ts' };
        // The chunk sits in outdir; the source file's URL is a fixed path from there.
        const fromOut = toPosix(relative(outdir, args.path));
        const url = `new URL(${JSON.stringify(fromOut)}, import.meta.url).href`;
        source = source
          .replaceAll('import.meta.dirname', '__huifangDirname(import.meta.url)')
          .replaceAll('import.meta.url', url);
        source += `\nfunction __huifangDirname(href: string): string { return decodeURIComponent(new URL('.', href).pathname).replace(/\\/$/, ''); }\n`;
        return { contents: source, loader: 'ts' };
      });
    },
  };
}

/** Builds into dist/<hash>/ and points dist/current.json at it; returns the entry file. */
export async function build(distDir = DIST_DIR) {
  const { build: esbuild } = await import('esbuild');
  mkdirSync(distDir, { recursive: true });
  const current = join(distDir, 'current.json');
  const tmp = join(distDir, `.tmp-${process.pid}-${Date.now()}`);
  try {
    const result = await esbuild({
      absWorkingDir: ROOT,
      entryPoints: { cli: ENTRY },
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      keepNames: true,
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'silent',
      plugins: [sourceLocationPlugin(tmp)],
    });
    const files = [...Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/')), toPosix(relative(ROOT, SELF))].sort();
    const inputs = hashInputs(files);
    if (inputs === null) throw new Error('an input disappeared during the build');
    const dir = sha(JSON.stringify(inputs)).slice(0, 16);
    const final = join(distDir, dir);
    if (!existsSync(join(final, 'cli.js'))) {
      try {
        renameSync(tmp, final);
      } catch (err) {
        // Another process built the same sources at the same time and renamed its build first.
        if (!existsSync(join(final, 'cli.js'))) throw err;
      }
    }
    // The chunks' relative paths to the sources do not depend on the directory name (same depth).
    writeFileSync(`${current}.${process.pid}`, `${JSON.stringify({ dir, builtAt: new Date().toISOString(), inputs }, null, 1)}\n`);
    renameSync(`${current}.${process.pid}`, current);
    pruneOldBuilds(distDir, dir);
    return join(final, 'cli.js');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Removes builds other than `keep` that are more than a day old (a process started from one may still run). */
function pruneOldBuilds(distDir, keep) {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(distDir)) {
    if (name === keep || name === 'current.json' || name.startsWith('.')) continue;
    const path = join(distDir, name);
    try {
      if (statSync(path).isDirectory() && statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another process pruned it.
    }
  }
}

/** The entry file of an up-to-date build, building first when there is none or an input changed. */
export async function ensureBuild(distDir = DIST_DIR) {
  return freshEntry(distDir) ?? (await build(distDir));
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  // npm's postinstall also runs where only package.json, scripts/ and prisma/ are there yet (the
  // Dockerfile's dependency layer): nothing to compile then.
  if (!existsSync(ENTRY)) {
    console.log('huifang: no sources to compile yet (bot/cli.ts is not there)');
  } else if (process.env.npm_lifecycle_event === 'postinstall') {
    // An install does not fail for it: `huifang` builds at its next start, or runs the sources through tsx.
    try {
      console.log(`huifang: compiled to ${relative(ROOT, await ensureBuild())}`);
    } catch (err) {
      console.warn(`huifang: not compiled now (${err instanceof Error ? err.message : String(err)}); huifang compiles at its first start`);
    }
  } else {
    const entry = process.argv.includes('--force') ? await build() : await ensureBuild();
    console.log(`huifang: compiled to ${relative(ROOT, entry)}`);
  }
}
