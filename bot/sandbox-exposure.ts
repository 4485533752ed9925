import { isFullSandbox, type Config } from './config.js';
import { StartupError } from './startup-error.js';

/**
 * What one process runs: `all` the HTTP service and the cron jobs; `web` the HTTP service only (run
 * several behind a load balancer); `jobs` the cron jobs only, with `/healthz` and `/metrics` on PORT.
 */
export type ServiceRole = 'web' | 'jobs' | 'all';

export const SERVICE_ROLES: readonly ServiceRole[] = ['all', 'web', 'jobs'];

/**
 * The sandbox shows every customer and every signed link, and its console signs anyone in: served
 * beyond loopback only behind HUIFANG_SANDBOX_PASSWORD. (HOST defaults to loopback in the sandbox, so
 * a wider address was set on purpose.) A `jobs` process serves no sandbox page.
 *
 * @throws StartupError `SANDBOX_EXPOSED` (exit 78)
 */
export function assertSandboxNotExposed(config: Config, role: ServiceRole): void {
  if (role === 'jobs' || !isFullSandbox(config) || isLoopback(config.host) || config.sandboxPassword !== null) return;
  throw new StartupError(
    'SANDBOX_EXPOSED',
    `沙箱模式下 HOST=${config.host} 会把 /sandbox（全部客户和签名链接）暴露出去：请设置 HUIFANG_SANDBOX_PASSWORD，或去掉 HOST 只在本机访问 / HOST=${config.host} would expose the sandbox (every customer and signed link) beyond this machine: set HUIFANG_SANDBOX_PASSWORD, or unset HOST to listen on 127.0.0.1`,
    78,
  );
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
