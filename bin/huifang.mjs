#!/usr/bin/env node
// The `huifang` command. Runs the service compiled to JavaScript under dist/ (scripts/build.mjs: at
// install, and again here whenever a source file changed since), which takes far less memory than
// compiling the TypeScript in the process at every start (README, "Memory"). When dist/ cannot be
// written (a read-only installation that was not built), it runs the TypeScript sources through tsx's
// loader instead, saying so on stderr.
import { pathToFileURL } from 'node:url';

let entry = null;
try {
  const { ensureBuild } = await import('../scripts/build.mjs');
  entry = await ensureBuild();
} catch (err) {
  process.stderr.write(`huifang: could not compile to dist/ (${err instanceof Error ? err.message : String(err)}); running the TypeScript sources through tsx instead\n`);
}
if (entry !== null) {
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../bot/cli.ts');
}
