// module.register hooks of record-loaded-modules.mjs: appends the URL of every ES module loaded.
import { appendFileSync } from 'node:fs';

let file = null;

export function initialize(data) {
  file = data.file;
}

export async function load(url, context, nextLoad) {
  if (file !== null) appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
