/**
 * Where a command writes: its result (text, or JSON with `--json`) to `out`, which is stdout; progress,
 * warnings and problems to `err`, which is stderr, so that `huifang … --json | jq` always reads clean
 * JSON. Tests pass an output that collects lines.
 */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

/** stdout and stderr. */
export const consoleOutput: CommandOutput = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};
