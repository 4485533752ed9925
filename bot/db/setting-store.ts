import type { SettingStore } from '../core/ports/settings.js';
import type { StoreContext } from './store-context.js';
import { isUniqueViolation } from './rows.js';

/** `SettingStore` over the `Setting` table. */
export class PrismaSettingStore implements SettingStore {
  constructor(private readonly db: StoreContext) {}

  async getOrCreateSetting(key: string, initial: () => string): Promise<string> {
    const settings = this.db.prisma.setting;
    const existing = await settings.findUnique({ where: { key } });
    if (existing) return existing.value;
    try {
      await settings.create({ data: { key, value: initial() } });
    } catch (err) {
      // Another replica created it first; read theirs below.
      if (!isUniqueViolation(err)) throw err;
    }
    return (await settings.findUniqueOrThrow({ where: { key } })).value;
  }
}
