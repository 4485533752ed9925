// Prisma CLI configuration (Prisma 6.19, driver adapters, no native engines).
// The provider follows DATABASE_URL's scheme: postgresql:// → prisma/schema.prisma with
// @prisma/adapter-pg; anything else (file:…) → the derived prisma/sqlite/schema.prisma with
// better-sqlite3. Each provider keeps its own migration history next to its schema.
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';

const url = process.env.DATABASE_URL ?? 'file:./data/huifang.db';
const isPostgres = /^postgres(ql)?:\/\//.test(url);

export default defineConfig({
  engine: 'js',
  experimental: { adapter: true },
  schema: isPostgres ? 'prisma/schema.prisma' : 'prisma/sqlite/schema.prisma',
  migrations: { path: isPostgres ? 'prisma/migrations' : 'prisma/sqlite/migrations' },
  adapter: async () => (isPostgres ? new PrismaPg({ connectionString: url }) : new PrismaBetterSQLite3({ url })),
});
