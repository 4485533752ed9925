// Counting the places of a sampling quota (PrismaCaseStore.countQuotaSlots) is a range of the unique place
// index on both databases: on PostgreSQL the column is compared in byte order ("C"), where the range holds
// exactly the places of the quota whatever the database's default collation.
import { expect, it } from 'vitest';
import { QUOTA_PLACES_COUNT } from '../../../bot/db/case-store.js';
import { fixedSql } from '../../../bot/db/fixed-sql.js';
import { describeEachDatabase } from '../../support/db.js';
import { storeContext } from '../../support/service.js';

describeEachDatabase('counting the places of a sampling quota', (db) => {
  it('reads a range of the unique place index', async () => {
    const sql = fixedSql(storeContext(db()));
    const params = ['P12|spot_check|*|2026-03-09#', 'P12|spot_check|*|2026-03-09$'];
    const plan =
      db().provider === 'postgresql'
        ? await sql.transaction(async (tx) => {
            // Whatever the table's size: only a plan that cannot use the index would still read the table.
            await tx.execute('SET LOCAL enable_seqscan = off', []);
            return (await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${QUOTA_PLACES_COUNT}`, params)).map((r) => r['QUERY PLAN']).join('\n');
          })
        : (await sql.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${QUOTA_PLACES_COUNT}`, params)).map((r) => r.detail).join('\n');
    // A search of the index by the range, not a scan of the whole index (or of the table) filtered by it.
    if (db().provider === 'postgresql') {
      expect(plan).toMatch(/(Index (Only )?Scan using|Bitmap Index Scan on) "FollowUp_quotaSlot_key"/);
      expect(plan).toContain('Index Cond');
    } else {
      expect(plan).toMatch(/SEARCH "?FollowUp"? USING (COVERING )?INDEX "?FollowUp_quotaSlot_key"?/);
    }
  });

  it('compares places in byte order on PostgreSQL', async () => {
    if (db().provider !== 'postgresql') return;
    const [column] = await fixedSql(storeContext(db())).query<{ collation: string | null }>(
      `SELECT collation_name AS collation FROM information_schema.columns WHERE table_name = 'FollowUp' AND column_name = 'quotaSlot'`,
      [],
    );
    expect(column?.collation).toBe('C');
  });
});
