/**
 * A start-up failure the operator fixes outside the code: a port in use, a database that cannot be
 * reached or does not exist, a sandbox bound beyond loopback without a password. Its message is one
 * line, Chinese then English, naming what to change; `huifang start` prints it alone (no stack) and
 * exits with `exitCode`.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  /**
   * @param code stable code: `PORT_IN_USE`, `PORT_NOT_PERMITTED`, `DATABASE_UNREACHABLE`, `DATABASE_AUTH_FAILED`,
   *   `DATABASE_MISSING`, `HOST_NOT_AVAILABLE`, `SANDBOX_EXPOSED`
   * @param exitCode 1, or 78 (EX_CONFIG) when a setting alone is wrong
   */
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: 1 | 78 = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
