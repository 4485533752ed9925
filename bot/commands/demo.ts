import { parseArgs } from 'node:util';
import { consoleOutput, type CommandOutput } from './command-output.js';

const USAGE = 'Usage: huifang demo [--days N] [--json]';

/**
 * `huifang demo [--days N] [--json]`: runs the example organisation for N simulated days (default 30)
 * on a throwaway database and prints what happened. Exit codes: 0 done, 2 bad arguments.
 */
export async function runDemoCommand(args: string[], output: CommandOutput = consoleOutput): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { days: { type: 'string', default: '30' }, json: { type: 'boolean', default: false } } }));
  } catch (err) {
    output.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    output.err('huifang demo: --days must be a whole number of days from 1 to 366');
    return 2;
  }
  const { runDemo } = await import('../demo/run-demo.js');
  await runDemo({ days, json: values.json ?? false });
  return 0;
}
