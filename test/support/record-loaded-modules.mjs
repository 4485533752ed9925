// Preload (`node --import …/record-loaded-modules.mjs`) that records every module the process loads,
// one URL or path a line, to `$HUIFANG_TEST_LOADED_DIR/<pid>.txt`: ES modules as they load (a
// module.register hook), CommonJS modules from require's cache when the process exits. It observes
// only; nothing is replaced. Child processes inheriting NODE_OPTIONS write files of their own pid.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { join } from 'node:path';

const dir = process.env.HUIFANG_TEST_LOADED_DIR;
if (dir) {
  const file = join(dir, `${process.pid}.txt`);
  register('./record-loaded-modules-hooks.mjs', import.meta.url, { data: { file } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => appendFileSync(file, `${Object.keys(require.cache).join('\n')}\n`));
}
