import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { migrateDatabase } from '../db/migrate.js';
import { createPrismaClient } from '../db/client.js';
import { UlidGenerator } from '../clocks.js';
import { seedExampleOrganisation } from '../example/example-organisation.js';

/**
 * `huifang seed-example`: adds the example hospital ward and property office (departments, staff,
 * customers) to the configured database, migrated first. Idempotent.
 */
export async function runSeedExampleCommand(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  await migrateDatabase(config.database.url, { logger });
  const db = createPrismaClient(config.database.url);
  try {
    const ids = new UlidGenerator();
    const staff = await seedExampleOrganisation(db.prisma, () => ids.next());
    logger.info({ staff: staff.size }, 'example organisation ready');
  } finally {
    await db.close();
  }
  return 0;
}
