// Headless Chromium for browser tests (Debian's `chromium` package driven by playwright-core).
// Without the browser the tests are skipped with a visible notice on a workstation, and fail in CI
// (env CI set), where .ci/run installs it.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Whether the browser is installed. */
export const hasChromium = existsSync(CHROMIUM_PATH);

/** Whether this run is in CI, where a missing browser is a failure rather than a skip. */
export const isCi = Boolean(process.env.CI);

/** True when browser tests must be skipped: no browser, and not in CI. */
export const skipBrowserTests = !hasChromium && !isCi;

/** Suffix for a describe title, saying why it is skipped. */
export const browserSkipNotice = skipBrowserTests ? ` [skipped — ${CHROMIUM_PATH} not installed; apt-get install -y chromium]` : '';

if (skipBrowserTests) console.warn(`⚠ browser tests skipped: ${CHROMIUM_PATH} is not installed (apt-get update && apt-get install -y chromium)`);

/**
 * Launches headless Chromium; in CI a missing browser throws an error naming the package to install.
 * `lang` is the browser's own language (date and month pickers follow it, as on a phone set to Chinese).
 */
export async function launchChromium(options: { lang?: string } = {}): Promise<Browser> {
  if (!hasChromium) throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium package (apt-get install -y chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...(options.lang ? [`--lang=${options.lang}`] : [])],
    ...(options.lang ? { env: { ...process.env, LANG: `${options.lang.replace('-', '_')}.UTF-8`, LANGUAGE: options.lang.replace('-', '_') } } : {}),
  });
}
