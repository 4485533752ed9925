#!/usr/bin/env node
// The `huifang` command. Runs the service compiled to JavaScript under dist/ (scripts/build.mjs: at
// install, and again here whenever a source file changed since), which takes far less memory than
// compiling the TypeScript in the process at every start (README, "Memory"). The build runs in a child
// process, so that esbuild does not stay in this one's memory. When dist/ cannot be written (a read-only
// installation that was not built), it runs the TypeScript sources through tsx's loader instead, saying
// so on stderr.
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshEntry } from '../scripts/build.mjs';

let entry = freshEntry();
if (entry === null) {
  const build = spawnSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  entry = freshEntry();
  if (entry === null) {
    const why = (build.error?.message ?? build.stderr ?? '').trim().split('\n').slice(-3).join(' ') || `exit ${build.status}`;
    process.stderr.write(`huifang: could not compile to dist/ (${why}); running the TypeScript sources through tsx instead\n`);
  }
}
if (entry !== null) {
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../bot/cli.ts');
}
