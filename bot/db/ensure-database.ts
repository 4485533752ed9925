// Before migrating, `huifang start` checks that the PostgreSQL database of DATABASE_URL can be reached,
// and creates it when it is missing and the user may. Prisma's CLI would otherwise report each of these
// under its own banner, several lines away from the cause.
import { StartupError } from '../startup-error.js';

export interface EnsureDatabaseLogger {
  info(obj: object, msg: string): void;
}

/** Errors of node's socket layer that mean "no server answered there". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);
/** PostgreSQL SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html */
const INVALID_CATALOG_NAME = '3D000';
const INVALID_PASSWORD = '28P01';
const INVALID_AUTHORIZATION = '28000';
const INSUFFICIENT_PRIVILEGE = '42501';
const DUPLICATE_DATABASE = '42P04';
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects to the database `url` names. When PostgreSQL answers that the database does not exist,
 * connects to the `postgres` maintenance database with the same user and runs `CREATE DATABASE`
 * (another replica creating it at the same moment is fine). Every failure the operator must fix —
 * server unreachable, login refused, database missing and not creatable — becomes a one-line
 * {@link StartupError} naming host, port, database and user, never the password.
 *
 * @returns whether the database was created
 */
export async function ensurePostgresDatabase(url: string, options: { logger?: EnsureDatabaseLogger } = {}): Promise<{ created: boolean }> {
  const parsed = new URL(url);
  const where = `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  const database = decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username);
  const user = decodeURIComponent(parsed.username) || '(default user)';
  const first = await tryConnect(url);
  if (first === null) return { created: false };
  if (pgCode(first) !== INVALID_CATALOG_NAME) throw connectError(first, where, database, user);

  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  try {
    await client.connect();
    await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } catch (err) {
    if (pgCode(err) !== DUPLICATE_DATABASE) {
      const denied = pgCode(err) === INSUFFICIENT_PRIVILEGE;
      const whyZh = denied ? `用户 ${user} 无权创建` : `自动创建失败（${reason(err)}）`;
      const whyEn = denied ? `user ${user} may not create it` : `creating it failed (${reason(err)})`;
      const create = `CREATE DATABASE "${database}" OWNER ${user}`;
      throw new StartupError(
        'DATABASE_MISSING',
        `PostgreSQL ${where} 上没有数据库 "${database}"，且${whyZh}：请先建库（${create}）或给该用户 CREATEDB 权限 / database "${database}" does not exist on PostgreSQL ${where} and ${whyEn}: create it (${create}) or grant the user CREATEDB`,
        1,
        { cause: err },
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  options.logger?.info({ database, server: where }, 'database created');
  return { created: true };
}

async function tryConnect(url: string): Promise<unknown> {
  // Loaded here, by a PostgreSQL start only, not by every process that imports this module (README, "Memory").
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  try {
    await client.connect();
    return null;
  } catch (err) {
    return err ?? new Error('connection failed');
  } finally {
    await client.end().catch(() => undefined);
  }
}

function connectError(err: unknown, where: string, database: string, user: string): Error {
  const code = pgCode(err);
  if (code === INVALID_PASSWORD || code === INVALID_AUTHORIZATION) {
    return new StartupError('DATABASE_AUTH_FAILED', `PostgreSQL ${where} 拒绝用户 ${user} 登录数据库 "${database}"：请检查 DATABASE_URL 中的用户名和密码 / PostgreSQL ${where} refused user ${user} for database "${database}": check the user and password in DATABASE_URL`, 1, { cause: err });
  }
  if (code === undefined || UNREACHABLE.has(code) || /timeout/i.test(reason(err))) {
    return new StartupError('DATABASE_UNREACHABLE', `无法连接 PostgreSQL ${where}（${reason(err)}）：请确认数据库已启动，且 DATABASE_URL 中的主机和端口正确 / cannot reach PostgreSQL at ${where} (${reason(err)}): is it running, and are the host and port in DATABASE_URL right?`, 1, { cause: err });
  }
  return new StartupError('DATABASE_UNREACHABLE', `无法打开 PostgreSQL ${where} 上的数据库 "${database}"（${reason(err)}）/ cannot open database "${database}" on PostgreSQL ${where} (${reason(err)})`, 1, { cause: err });
}

function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The error's code, or its first line: short enough for the one-line message. */
function reason(err: unknown): string {
  const code = pgCode(err);
  if (code !== undefined && /^E[A-Z]+$/.test(code)) return code;
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.slice(0, 120);
}
