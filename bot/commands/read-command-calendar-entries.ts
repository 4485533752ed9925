import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import type { CalendarEntryRecord } from '../core/ports/console-admin.js';
import type { CommandOutput } from './command-output.js';

/**
 * The calendar days kept in the configured database — entered in the console's 日历 page or installed
 * with `huifang calendar import` — for commands that otherwise need no database (`calendar`,
 * `simulate`). Reads only: nothing is created or migrated. No database yet (a SQLite file that does not
 * exist, tables not created) means no days. A database that cannot be read is one warning line on
 * `output.err`, and the command goes on with the shipped calendar.
 */
export async function readCommandCalendarEntries(config: Config, output: CommandOutput): Promise<CalendarEntryRecord[]> {
  const [{ createPrismaClient, isPrismaErrorCode, providerOfUrl, sqliteFilePath }, { readCalendarEntries }] = await Promise.all([
    import('../db/client.js'),
    import('../db/console-admin-store.js'),
  ]);
  const url = config.database.url;
  if (providerOfUrl(url) === 'sqlite') {
    const file = sqliteFilePath(url);
    if (file === ':memory:' || !existsSync(file)) return [];
  }
  const db = createPrismaClient(url);
  try {
    return await readCalendarEntries(db.prisma);
  } catch (err) {
    // P2021: the table does not exist (a database not migrated yet), so nothing was ever entered.
    if (isPrismaErrorCode(err, 'P2021')) return [];
    output.err(`警告: 无法读取数据库中的日历（管理台「日历」与 huifang calendar import 录入的日期）— could not read the calendar days kept in the database, using the shipped calendar only: ${(err as Error).message}`);
    return [];
  } finally {
    await db.close();
  }
}
