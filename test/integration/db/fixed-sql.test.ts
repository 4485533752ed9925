// Fixed SQL on the driver adapter (bot/db/fixed-sql.ts) behaves as the query API did: the same rows, dates
// that compare with Prisma's, and Prisma's error codes, on the client's adapter and through a transaction.
import { describe, expect, it } from 'vitest';
import { UlidGenerator } from '../../../bot/clocks.js';
import { isPrismaErrorCode } from '../../../bot/db/client.js';
import { fixedSql } from '../../../bot/db/fixed-sql.js';
import { insertJsonObjects, jsonRows, jsonRowsParam } from '../../../bot/db/json-rows.js';
import { insertOutbox } from '../../../bot/db/writes.js';
import { pickReplyCodes } from '../../../bot/db/reply-codes.js';
import type { FixedSqlQueries } from '../../../bot/db/fixed-sql.js';
import type { NewOutboxMessage } from '../../../bot/core/records.js';
import { PrismaInboxStore } from '../../../bot/db/inbox-store.js';
import { PrismaRateCounters } from '../../../bot/db/console-auth-store.js';
import { CONTEXT_READ_ROWS, selectFollowUpContexts } from '../../../bot/db/follow-up-context-sql.js';
import { toEscalationRecord, toFollowUpContext } from '../../../bot/db/rows.js';
import { PrismaEscalationStore } from '../../../bot/db/escalation-store.js';
import { PrismaFollowUpStore } from '../../../bot/db/follow-up-store.js';
import { PrismaOrgStore } from '../../../bot/db/org-store.js';
import { PrismaCustomerStore } from '../../../bot/db/customer-store.js';
import { PrismaSurveyStore } from '../../../bot/db/survey-store.js';
import { typedValues } from '../../../bot/db/typed-values.js';
import { describeEachDatabase } from '../../support/db.js';
import { storeContext, seedOrganisation } from '../../support/service.js';
import { insertDueFollowUps } from '../../support/builders.js';
import { recordBatchSizes } from '../../support/batch-sizes.js';

describeEachDatabase('fixed SQL on the driver adapter', (db) => {
  it('counts hits per key and window, and forgets by prefix without taking LIKE wildcards in the prefix', async () => {
    const counters = new PrismaRateCounters(storeContext(db()));
    const window = new Date('2026-12-07T03:00:00.000Z');
    expect(await Promise.all([counters.hit('fx_a:1', window), counters.hit('fx_a:1', window)])).toEqual(expect.arrayContaining([1, 2]));
    expect(await counters.hit('fx_a:1', window)).toBe(3);
    await counters.hit('fxXa:2', window);
    await counters.hit('fx_a:3', new Date('2026-12-07T03:10:00.000Z'));
    expect(await counters.count('fx_a:1', window)).toBe(3);
    expect(await counters.count('fx_a:1', new Date('2026-12-07T03:00:00.001Z'))).toBe(0);
    // `_` is a literal here: the row under `fxXa:` stays, and so does the one not yet before the cut.
    await counters.forget('fx_a:', new Date('2026-12-07T03:05:00.000Z'));
    const rows = await db().prisma.rateCounter.findMany({ where: { key: { startsWith: 'fx' } }, orderBy: { key: 'asc' } });
    expect(rows.map((r) => [r.key, r.count, r.windowStart.toISOString()])).toEqual([
      ['fxXa:2', 1, '2026-12-07T03:00:00.000Z'],
      ['fx_a:3', 1, '2026-12-07T03:10:00.000Z'],
    ]);
  });

  it('reads counts asked for at the same moment by one statement, each answered as alone', async () => {
    const counters = new PrismaRateCounters(storeContext(db()));
    const batches = recordBatchSizes(counters, 'countBatch');
    const window = new Date('2026-12-07T04:00:00.000Z');
    const later = new Date('2026-12-07T04:00:00.001Z');
    await counters.hit('fx-batch:a', window);
    await counters.hit('fx-batch:a', window);
    await counters.hit('fx-batch:b', later);
    const questions: [string, Date][] = [
      ['fx-batch:a', window],
      ['fx-batch:a', later],
      ['fx-batch:b', later],
      ['fx-batch:none', window],
      ['fx-batch:a', window],
    ];
    const alone: number[] = [];
    for (const [key, at] of questions) alone.push(await counters.count(key, at));
    expect(alone).toEqual([2, 0, 1, 0, 2]);
    expect(batches).toEqual([]);
    expect(await Promise.all(questions.map(([key, at]) => counters.count(key, at)))).toEqual(alone);
    expect(batches).toEqual([questions.length]);
  });

  it('looks members up by WeCom UserID with one statement for the look-ups of one moment, each answered as alone', async () => {
    const staff = await seedOrganisation(db());
    await db().prisma.staff.update({ where: { wecomUserId: 'hushi.zhou' }, data: { active: false } });
    try {
      const org = new PrismaOrgStore(storeContext(db()));
      const batches = recordBatchSizes(org, 'findStaffByWecomUserIds');
      const asked = ['hushi.li', 'nobody', 'hushi.zhou', 'hushi.li'];
      const alone = [];
      for (const u of asked) alone.push(await org.findStaffByWecomUserId(u));
      expect(alone).toEqual([
        { id: staff.get('hushi.li'), name: '李护士', active: true },
        null,
        { id: staff.get('hushi.zhou'), name: '周护士', active: false },
        { id: staff.get('hushi.li'), name: '李护士', active: true },
      ]);
      expect(batches).toEqual([1, 1, 1, 1]);
      batches.length = 0;
      expect(await Promise.all(asked.map((u) => org.findStaffByWecomUserId(u)))).toEqual(alone);
      expect(batches).toEqual([asked.length]);
    } finally {
      await db().prisma.staff.update({ where: { wecomUserId: 'hushi.zhou' }, data: { active: true } });
    }
  });

  it('looks customers up by phone, and their latest open surveys, with one statement for the look-ups of one moment', async () => {
    const ctx = storeContext(db());
    const customers = new PrismaCustomerStore(ctx);
    const surveys = new PrismaSurveyStore(ctx);
    const phoneBatches = recordBatchSizes(customers, 'findCustomersByPhones');
    const surveyBatches = recordBatchSizes(surveys, 'findLatestOpenSurveys');
    const phones = ['+8613512340001', '+8613512340002', '+8613512340009'];
    const made = [];
    for (const [i, phone] of phones.slice(0, 2).entries()) {
      made.push(
        await customers.upsertCustomer({ externalId: `FX-PHONE-${i}`, name: `客户${i}`, salutation: null, phoneE164: phone, phoneMasked: null, wechatOpenId: null, tags: [], consentMarketing: null, consentSurvey: null, deceasedAt: null }),
      );
    }
    const byPhone = await Promise.all([...phones, phones[0]!].map((p) => customers.findCustomerByPhone(p)));
    expect(byPhone.map((c) => c?.id ?? null)).toEqual([made[0]!.id, made[1]!.id, null, made[0]!.id]);
    expect(phoneBatches).toEqual([4]);

    const now = new Date('2026-12-07T04:00:00.000Z');
    const survey = (id: string, customerId: string, sentAt: string, expiresAt: string, status = 'OPEN') => ({
      id, customerId, status, sentAt: new Date(sentAt), expiresAt: new Date(expiresAt), surveyKey: 'satisfaction-5', token: `fx-token-${id}-0123456789`, channel: 'sms', createdAt: new Date(sentAt),
    });
    await db().prisma.surveyInstance.createMany({
      data: [
        survey('fx-s1', made[0]!.id, '2026-12-01T00:00:00.000Z', '2026-12-20T00:00:00.000Z'),
        survey('fx-s2', made[0]!.id, '2026-12-05T00:00:00.000Z', '2026-12-10T00:00:00.000Z'),
        survey('fx-s3', made[0]!.id, '2026-12-06T00:00:00.000Z', '2026-12-20T00:00:00.000Z', 'ANSWERED'),
        survey('fx-s4', made[1]!.id, '2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z'),
      ],
    });
    const questions: [string, Date][] = [
      [made[0]!.id, now],
      [made[0]!.id, new Date('2026-12-15T00:00:00.000Z')],
      [made[1]!.id, now],
      ['nobody', now],
    ];
    const alone = [];
    for (const [c, t] of questions) alone.push((await surveys.findLatestOpenSurvey(c, t))?.id ?? null);
    expect(alone).toEqual(['fx-s2', 'fx-s1', null, null]);
    expect(surveyBatches).toEqual([1, 1, 1, 1]);
    surveyBatches.length = 0;
    expect((await Promise.all(questions.map(([c, t]) => surveys.findLatestOpenSurvey(c, t)))).map((x) => x?.id ?? null)).toEqual(alone);
    expect(surveyBatches).toEqual([questions.length]);
  });

  it('records an inbound event once, with the dates and defaults of the query API, and claims and finishes it', async () => {
    const inbox = new PrismaInboxStore(storeContext(db()));
    const receivedAt = new Date('2026-12-07T03:01:02.345Z');
    const event = { source: 'fixed-sql', dedupeKey: 'k1', kind: 'staff_message', payload: { text: '你好' }, receivedAt };
    const first = await inbox.recordInbound({ ...event, id: 'FX-EVENT-1' });
    const again = await inbox.recordInbound({ ...event, id: 'FX-EVENT-2', payload: { text: 'resent' } });
    expect(first).toEqual({ id: 'FX-EVENT-1', duplicate: false });
    expect(again).toEqual({ id: 'FX-EVENT-1', duplicate: true });
    const row = await db().prisma.inboundEvent.findUniqueOrThrow({ where: { id: 'FX-EVENT-1' } });
    expect(row).toMatchObject({ status: 'RECEIVED', attempts: 0, payload: '{"text":"你好"}', receivedAt, leaseExpiresAt: null });
    // Written by fixed SQL, found by the query API's date comparisons.
    expect(await db().prisma.inboundEvent.count({ where: { source: 'fixed-sql', receivedAt: { gte: receivedAt, lte: receivedAt } } })).toBe(1);

    const now = new Date('2026-12-07T03:02:00.000Z');
    const claimed = await inbox.claimInbound('FX-EVENT-1', now, 60_000);
    expect(claimed).toEqual({ id: 'FX-EVENT-1', source: 'fixed-sql', dedupeKey: 'k1', kind: 'staff_message', payload: { text: '你好' }, receivedAt, attempts: 1 });
    expect(await inbox.claimInbound('FX-EVENT-1', now, 60_000)).toBeNull();
    expect((await db().prisma.inboundEvent.findUniqueOrThrow({ where: { id: 'FX-EVENT-1' } })).leaseExpiresAt).toEqual(new Date('2026-12-07T03:03:00.000Z'));
    const retryAt = new Date('2026-12-07T03:04:00.000Z');
    await inbox.finishInbound('FX-EVENT-1', 'FAILED', now, {}, 'boom', retryAt);
    expect(await db().prisma.inboundEvent.findUniqueOrThrow({ where: { id: 'FX-EVENT-1' } })).toMatchObject({ status: 'FAILED', processedAt: now, error: 'boom', nextAttemptAt: retryAt, leaseExpiresAt: null });
    expect(await inbox.claimInbound('FX-EVENT-1', new Date('2026-12-07T03:03:59.999Z'), 60_000)).toBeNull();
    expect((await inbox.claimInbound('FX-EVENT-1', retryAt, 60_000))?.attempts).toBe(2);
    await expect(inbox.finishInbound('FX-EVENT-MISSING', 'PROCESSED', now, {})).rejects.toSatisfy((e) => isPrismaErrorCode(e, 'P2025'));
  });

  it('inserts and compare-and-sets a batch bound as one JSON parameter, with values and dates as the query API stores them', async () => {
    const sql = fixedSql(storeContext(db()));
    const caps = db().capabilities;
    const at = new Date('2026-12-07T03:01:02.345Z');
    const texts = ['引号 " 与 \\ 反斜杠', 'emoji 🙂, a tab\tand a newline\n', "it's", '[1,"x"]'];
    const rows = texts.map((text, i) => ({ id: `FX-JSON-${i}`, at, actorType: 'SYSTEM', actorId: i === 0 ? null : `staff-${i}`, action: 'fx.json', entityType: 'Test', entityId: String(i), details: text }));
    await sql.transaction((tx) =>
      insertJsonObjects(tx, caps, 'AuditLog', { id: 'text', at: 'date', actorType: 'text', actorId: 'text', action: 'text', entityType: 'text', entityId: 'text', details: 'text' }, rows),
    );
    const stored = await db().prisma.auditLog.findMany({ where: { action: 'fx.json' }, orderBy: { id: 'asc' } });
    expect(stored.map((r) => ({ id: r.id, at: r.at, actorType: r.actorType, actorId: r.actorId, action: r.action, entityType: r.entityType, entityId: r.entityId, details: r.details }))).toEqual(rows);
    // The query API's date comparisons find what the JSON rows wrote.
    expect(await db().prisma.auditLog.count({ where: { action: 'fx.json', at: { gte: at, lte: at } } })).toBe(texts.length);
    // A set-based update joined with the rows: integers compare as integers, and only matching rows change.
    const changed = await sql.query<{ id: string }>(
      `UPDATE "AuditLog" AS a SET "entityId" = v.label FROM ${jsonRows(caps, 'v', { id: 'text', n: 'int', label: 'text' })} ` +
        `WHERE a.id = v.id AND CAST(a."entityId" AS INTEGER) = v.n RETURNING ${caps.provider === 'sqlite' ? 'id' : 'a.id'}`,
      [jsonRowsParam(caps, [['FX-JSON-1', 1, 'one'], ['FX-JSON-2', 5, 'never'], ['FX-JSON-3', 3, 'three']])],
    );
    expect(changed.map((r) => String(r.id)).sort()).toEqual(['FX-JSON-1', 'FX-JSON-3']);
    expect((await db().prisma.auditLog.findMany({ where: { action: 'fx.json' }, orderBy: { id: 'asc' } })).map((r) => r.entityId)).toEqual(['0', 'one', '2', 'three']);
  });

  it('inserts a batch of many rows in two groups of fields, each row once, skipping conflicting keys', async () => {
    const sql = fixedSql(storeContext(db()));
    const caps = db().capabilities;
    const at = new Date('2026-12-07T03:05:00.000Z');
    const kinds = { id: 'text', at: 'date', actorType: 'text', actorId: 'text', action: 'text', entityType: 'text', entityId: 'text', details: 'json' } as const;
    // More rows than one statement takes, the two groups interleaved, and ten ids already taken.
    const rows: Record<string, unknown>[] = Array.from({ length: 700 }, (_, i) => ({
      id: `FX-MANY-${String(i).padStart(4, '0')}`,
      at,
      actorType: 'SYSTEM',
      ...(i % 3 === 0 ? {} : { actorId: `staff-${i}` }),
      action: 'fx.many',
      entityType: 'Test',
      entityId: String(i),
      details: { i, text: `第${i}条` },
    }));
    await sql.transaction((tx) => insertJsonObjects(tx, caps, 'AuditLog', kinds, rows.filter((_, i) => i % 70 === 5).map((r) => ({ ...r, details: 'first' }))));
    const inserted = await sql.transaction((tx) => insertJsonObjects(tx, caps, 'AuditLog', kinds, rows, 'ON CONFLICT ("id") DO NOTHING'));
    expect(inserted).toBe(690);
    const stored = await db().prisma.auditLog.findMany({ where: { action: 'fx.many' }, orderBy: { id: 'asc' } });
    expect(stored.map((r) => [r.id, r.actorId, r.details])).toEqual(
      rows.map((r, i) => [r.id, r.actorId ?? null, i % 70 === 5 ? JSON.stringify('first') : JSON.stringify(r.details)]),
    );
  });

  it('writes a json column of a batch once, as JSON.stringify makes it: nesting, escapes, CJK, numbers; null as NULL, left out as the default', async () => {
    const sql = fixedSql(storeContext(db()));
    const caps = db().capabilities;
    const at = new Date('2026-12-07T03:01:02.345Z');
    const details: unknown[] = [
      { b: 1, a: 'say "hi" \\ back', nested: { list: [1, 2.5, -0.001, 1e21, true, null], cjk: '回访😀', nl: 'two\nlines\t', u: '\u2028' } },
      ['x', { '': 'empty key' }],
      'a plain string',
      42,
    ];
    const kinds = { id: 'text', at: 'date', actorType: 'text', actorId: 'text', action: 'text', entityType: 'text', entityId: 'text', details: 'json' } as const;
    const rows: Record<string, unknown>[] = details.map((d, i) => ({ id: `FX-JSONCOL-${i}`, at, actorType: 'SYSTEM', actorId: null, action: 'fx.jsoncol', entityType: 'Test', entityId: String(i), details: d }));
    // A row leaving the json column out keeps the column's default; a second group of fields in the same call.
    rows.push({ id: 'FX-JSONCOL-9', at, actorType: 'SYSTEM', actorId: 'staff-9', action: 'fx.jsoncol', entityType: 'Test', entityId: '9' });
    const inserted = await sql.transaction((tx) => insertJsonObjects(tx, caps, 'AuditLog', kinds, rows));
    expect(inserted).toBe(5);
    const stored = await db().prisma.auditLog.findMany({ where: { action: 'fx.jsoncol' }, orderBy: { id: 'asc' } });
    expect(stored.map((r) => [r.id, r.actorId, r.details])).toEqual([
      ...details.map((d, i) => [`FX-JSONCOL-${i}`, null, JSON.stringify(d)]),
      ['FX-JSONCOL-9', 'staff-9', '{}'],
    ]);
    // A JSON null is SQL NULL: the NOT NULL column refuses it, and the refused statement inserts nothing.
    await expect(
      sql.transaction((tx) => insertJsonObjects(tx, caps, 'AuditLog', kinds, [{ ...rows[0]!, id: 'FX-JSONCOL-NULL', details: null }])),
    ).rejects.toThrow();
    expect(await db().prisma.auditLog.count({ where: { id: 'FX-JSONCOL-NULL' } })).toBe(0);
    // Two json columns cannot share one statement's second parameter.
    await expect(insertJsonObjects(sql, caps, 'AuditLog', { ...kinds, entityId: 'json' }, [])).rejects.toThrow('at most one json column');
  });

  it('inserts outbox messages in a fixed transaction once per key: known keys and repeats skipped, an invalid phone cancelled, the count inserted', async () => {
    const sql = fixedSql(storeContext(db()));
    const caps = db().capabilities;
    const ids = new UlidGenerator();
    const now = new Date('2026-12-07T03:00:00.000Z');
    await db().prisma.customer.create({ data: { id: 'FX-OB-CUS-BAD', name: '号码无效', phoneInvalidAt: now } });
    await db().prisma.customer.create({ data: { id: 'FX-OB-CUS-OK', name: '号码有效' } });
    const sms = (key: string, customerId: string, text: string): NewOutboxMessage => ({
      idempotencyKey: key,
      channel: 'sms',
      recipientType: 'customer',
      recipientId: customerId,
      followUpId: null,
      nextAttemptAt: now,
      message: { kind: 'text', to: { customerId }, text } as unknown as NewOutboxMessage['message'],
    });
    expect(await sql.transaction((tx) => insertOutbox(tx, ids, [sms('fx-ob:1', 'FX-OB-CUS-OK', 'first')], now, caps))).toBe(1);
    const inserted = await sql.transaction((tx) =>
      insertOutbox(tx, ids, [sms('fx-ob:1', 'FX-OB-CUS-OK', 'again'), sms('fx-ob:2', 'FX-OB-CUS-OK', 'second'), sms('fx-ob:2', 'FX-OB-CUS-OK', 'repeat'), sms('fx-ob:3', 'FX-OB-CUS-BAD', 'bad phone')], now, caps),
    );
    expect(inserted).toBe(2);
    const rows = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: 'fx-ob:' } }, orderBy: { idempotencyKey: 'asc' } });
    expect(rows.map((r) => [r.idempotencyKey, (JSON.parse(r.payload) as { text: string }).text, r.status, r.lastErrorCode])).toEqual([
      ['fx-ob:1', 'first', 'PENDING', null],
      ['fx-ob:2', 'second', 'PENDING', null],
      ['fx-ob:3', 'bad phone', 'CANCELLED', 'PHONE_INVALID'],
    ]);
  });

  it('picks SMS reply codes reading the first candidate of each survey, and the others only for surveys whose first is taken', async () => {
    const sql = fixedSql(storeContext(db()));
    const caps = db().capabilities;
    const at = new Date('2026-12-07T03:00:00.000Z');
    await db().prisma.customer.create({ data: { id: 'FX-RC-CUS', name: '回复码' } });
    await db().prisma.surveyInstance.createMany({
      data: ['7001', '7002'].map((replyCode, i) => ({
        id: `fx-rc-held-${i}`, customerId: 'FX-RC-CUS', status: 'OPEN', sentAt: at, expiresAt: at, surveyKey: 'satisfaction-5', token: `fx-rc-token-${i}-0123456789`, channel: 'sms', createdAt: at, replyCode,
      })),
    });
    // The codes each look-up statement reads (one JSON array on SQLite, one placeholder each on PostgreSQL).
    const reads: number[] = [];
    const pick = (wanted: { surveyId: string; candidates: string[] }[]) =>
      sql.transaction((tx) => {
        const counting: FixedSqlQueries = {
          ...tx,
          query: (text, params) => {
            if (text.includes('"replyCode" AS v')) reads.push(caps.provider === 'sqlite' ? (JSON.parse(String(params[0])) as unknown[]).length : params.length);
            return tx.query(text, params);
          },
        };
        return pickReplyCodes(counting, wanted, caps);
      });

    expect(Object.fromEntries(await pick([{ surveyId: 's1', candidates: ['8001', '8002'] }, { surveyId: 's2', candidates: ['8003', '8004'] }]))).toEqual({ s1: '8001', s2: '8003' });
    expect(reads).toEqual([2]);
    reads.length = 0;
    // a: its first is held by a survey; c: its first is b's, its second held. Their other candidates are read after.
    const wanted = [
      { surveyId: 'a', candidates: ['7001', '7003'] },
      { surveyId: 'b', candidates: ['7004', '7005'] },
      { surveyId: 'c', candidates: ['7004', '7002', '7006'] },
    ];
    expect(Object.fromEntries(await pick(wanted))).toEqual({ a: '7003', b: '7004', c: '7006' });
    expect(reads).toEqual([2, 3]);
    reads.length = 0;
    // g's first is held and its other is h's first: g finds a code only when h takes its own other. Every candidate is
    // then read (7008 was already), and each survey in turn takes its first free one.
    expect(Object.fromEntries(await pick([{ surveyId: 'g', candidates: ['7001', '7008'] }, { surveyId: 'h', candidates: ['7008', '7009'] }]))).toEqual({ g: '7008', h: '7009' });
    expect(reads).toEqual([2, 1]);
    await expect(pick([{ surveyId: 'd', candidates: ['7001', '7002'] }])).rejects.toThrow('No free SMS reply code among 2 candidates');
  });

  it('joins a batch of rows (typedValues) with every text as it was: quotes, backslashes, braces, NULL, CJK, line breaks', async () => {
    const sql = fixedSql(db());
    const texts = ['plain', 'say "hi"', 'back\\slash', '{a,b}', 'NULL', '', ' spaced ', '回访😀', 'two\nlines', '\\"', null, '{"k":"v\\n"}'];
    const values = typedValues(db().capabilities, ['int', 'text'], texts.map((t, i) => [i, t]));
    const rows = await sql.query<{ n: number | bigint; t: string | null }>(`WITH v (n, t) AS (${values.text}) SELECT n, t FROM v ORDER BY n`, values.params);
    expect(rows.map((r) => [Number(r.n), r.t])).toEqual(texts.map((t, i) => [i, t]));
  });

  it('stores the JSON texts of a json column (typedValues) exactly as given: key order, spacing, escapes, strings', async () => {
    const sql = fixedSql(db());
    const texts = ['{"b":1,"a":"say \\"hi\\""}', '{ "spaced" : [1, 2] }', '"a \\"string\\" \\\\ with escapes"', '{"cjk":"回访😀","nl":"two\\nlines","u":"\\u00e9\\u2028"}', '[]', 'null'];
    const values = typedValues(db().capabilities, ['text', 'text', 'json'], texts.map((t, i) => [`FX-TV-JSON-${i}`, String(i), t]));
    await sql.execute(
      `WITH v (id, n, details) AS (${values.text}) INSERT INTO "AuditLog" (id, at, "actorType", action, "entityType", "entityId", details) SELECT v.id, ?, 'SYSTEM', 'fx.json-text', 'Fx', v.n, v.details FROM v`,
      [...values.params, new Date('2026-12-07T03:00:00.000Z')],
    );
    const rows = await db().prisma.auditLog.findMany({ where: { action: 'fx.json-text' }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.details)).toEqual(texts);
  });

  it("reports a unique violation as the query API's P2002, on the adapter and inside a transaction", async () => {
    const context = storeContext(db());
    const insert = 'INSERT INTO "RateCounter" ("key", "windowStart", "count") VALUES (?, ?, 1)';
    const params = ['fx-dup', new Date('2026-12-07T03:00:00.000Z')];
    expect(await fixedSql(context).execute(insert, params)).toBe(1);
    await expect(fixedSql(context).execute(insert, params)).rejects.toSatisfy((e) => isPrismaErrorCode(e, 'P2002'));
    await expect(
      db().prisma.$transaction(async (tx) => {
        await fixedSql({ ...context, prisma: tx as typeof context.prisma }).execute(insert, params);
      }),
    ).rejects.toSatisfy((e) => (e as { code?: string }).code === 'P2002');
    expect(await db().prisma.rateCounter.count({ where: { key: 'fx-dup' } })).toBe(1);
  });

  it('commits a transaction as a whole, and rolls all of it back when its function throws', async () => {
    const sql = fixedSql(storeContext(db()));
    const insert = 'INSERT INTO "RateCounter" ("key", "windowStart", "count") VALUES (?, ?, 1)';
    const window = new Date('2026-12-07T04:00:00.000Z');
    expect(await sql.transaction(async (tx) => (await tx.execute(insert, ['fx-tx:1', window])) + (await tx.execute(insert, ['fx-tx:2', window])))).toBe(2);
    await expect(
      sql.transaction(async (tx) => {
        await tx.execute(insert, ['fx-tx:3', window]);
        // Seen inside the transaction …
        expect(await tx.query('SELECT "key" FROM "RateCounter" WHERE "key" = ?', ['fx-tx:3'])).toEqual([{ key: 'fx-tx:3' }]);
        await tx.execute(insert, ['fx-tx:1', window]);
      }),
    ).rejects.toSatisfy((e) => isPrismaErrorCode(e, 'P2002'));
    // … and gone with the rollback; the client works on afterwards.
    expect((await db().prisma.rateCounter.findMany({ where: { key: { startsWith: 'fx-tx:' } }, orderBy: { key: 'asc' } })).map((r) => r.key)).toEqual(['fx-tx:1', 'fx-tx:2']);
    await expect(sql.transaction(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await sql.query('SELECT COUNT(*) AS n FROM "RateCounter" WHERE "key" LIKE ?', ['fx-tx:%'])).toEqual([{ n: expect.anything() }]);
  });

  it('reads follow-ups with their case and customer exactly as the query API does', async () => {
    const staff = await seedOrganisation(db());
    const ward = await db().prisma.department.findUniqueOrThrow({ where: { code: 'cardiology' } });
    const ids = await insertDueFollowUps(db().prisma, { count: 3, dueAt: new Date('2026-12-07T01:00:00.000Z'), assigneeId: staff.get('hushi.li')!, departmentId: ward.id });
    // Nulls and non-defaults in every kind of column: dates, booleans, integers, JSON text.
    const first = await db().prisma.followUp.update({ where: { id: ids[0]! }, data: { remindAt: new Date('2026-12-07T02:03:04.005Z'), attempts: 2, outcomeNote: '备注' } });
    await db().prisma.customer.update({ where: { id: first.customerId }, data: { consentSurvey: false, consentMarketing: true, optedOutAt: new Date('2026-12-01T00:00:00.000Z'), salutation: '王先生' } });
    await db().prisma.case.update({ where: { id: first.caseId }, data: { milestones: JSON.stringify({ handled: '2026-12-02T03:00:00.000Z' }), closedAt: new Date('2026-12-03T00:00:00.000Z') } });

    const viaSql = await selectFollowUpContexts(fixedSql(storeContext(db())), storeContext(db()).capabilities, [...ids, 'NO-SUCH-ID']);
    const viaQueryApi = (await db().prisma.followUp.findMany({ where: { id: { in: ids } }, include: { case: true, customer: true }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] })).map(toFollowUpContext);
    expect(viaSql).toEqual(viaQueryApi);
    expect(viaSql[0]!.customer).toMatchObject({ consentSurvey: false, consentMarketing: true, salutation: '王先生' });
  });

  it('reads more follow-ups than one statement reads, each once, by due time, as the query API does', async () => {
    const staff = await seedOrganisation(db());
    const ward = await db().prisma.department.findUniqueOrThrow({ where: { code: 'cardiology' } });
    const count = Math.floor(CONTEXT_READ_ROWS * 2.5);
    const ids = await insertDueFollowUps(db().prisma, { count, dueAt: new Date('2026-12-07T01:00:00.000Z'), assigneeId: staff.get('hushi.li')!, departmentId: ward.id });
    // Due times out of id order, across the reads: the result is sorted as a whole, not read by read.
    for (const [i, id] of ids.entries()) if (i % 7 === 0) await db().prisma.followUp.update({ where: { id }, data: { dueAt: new Date(Date.UTC(2026, 11, 6, 0, i % 50)) } });

    const viaSql = await selectFollowUpContexts(fixedSql(storeContext(db())), storeContext(db()).capabilities, ['NO-SUCH-ID', ...[...ids].reverse()]);
    const viaQueryApi = (await db().prisma.followUp.findMany({ where: { id: { in: ids } }, include: { case: true, customer: true }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] })).map(toFollowUpContext);
    expect(viaSql).toHaveLength(count);
    expect(viaSql).toEqual(viaQueryApi);
  });

  it("reads an assignee's open follow-ups with their case and customer exactly as the query API does", async () => {
    const staff = await seedOrganisation(db());
    const ward = await db().prisma.department.findUniqueOrThrow({ where: { code: 'cardiology' } });
    const nurse = staff.get('hushi.zhou')!;
    const ids = await insertDueFollowUps(db().prisma, { count: 5, dueAt: new Date('2026-12-07T01:00:00.000Z'), assigneeId: nurse, departmentId: ward.id });
    // Active, overdue, scheduled before and after the horizon, and done; deadlines out of id order.
    const set = (id: string, data: Record<string, unknown>) => db().prisma.followUp.update({ where: { id }, data });
    await set(ids[0]!, { status: 'ACTIVE', deadlineAt: new Date('2026-12-09T00:00:00.000Z'), remindAt: new Date('2026-12-08T00:00:00.000Z') });
    await set(ids[1]!, { status: 'OVERDUE', deadlineAt: new Date('2026-12-08T00:00:00.000Z'), overdueAt: new Date('2026-12-08T00:00:00.000Z') });
    await set(ids[2]!, { dueAt: new Date('2026-12-07T02:00:00.000Z'), deadlineAt: new Date('2026-12-10T00:00:00.000Z') });
    await set(ids[3]!, { dueAt: new Date('2026-12-20T00:00:00.000Z') });
    await set(ids[4]!, { status: 'DONE', outcome: 'REACHED', completedAt: new Date('2026-12-07T03:00:00.000Z') });
    const horizon = new Date('2026-12-08T00:00:00.000Z');

    const viaSql = await new PrismaFollowUpStore(storeContext(db())).listOpenForAssignee(nurse, horizon, 20);
    const viaQueryApi = (
      await db().prisma.followUp.findMany({
        where: { assigneeId: nurse, OR: [{ status: { in: ['ACTIVE', 'OVERDUE'] } }, { status: 'SCHEDULED', dueAt: { lt: horizon } }] },
        include: { case: true, customer: true },
        orderBy: [{ deadlineAt: 'asc' }, { id: 'asc' }],
      })
    ).map(toFollowUpContext);
    expect(viaSql.map((c) => c.followUp.id)).toEqual([ids[1], ids[0], ids[2]]);
    expect(viaSql).toEqual(viaQueryApi);
    expect(await new PrismaFollowUpStore(storeContext(db())).listOpenForAssignee(nurse, horizon, 2)).toEqual(viaQueryApi.slice(0, 2));
  });

  it("reads an owner's open escalations exactly as the query API does", async () => {
    const staff = await seedOrganisation(db());
    const ward = await db().prisma.department.findUniqueOrThrow({ where: { code: 'cardiology' } });
    const [followUpId] = await insertDueFollowUps(db().prisma, { count: 1, dueAt: new Date('2026-12-07T01:00:00.000Z'), assigneeId: staff.get('hushi.li')!, departmentId: ward.id });
    const { caseId } = await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId! } });
    const owner = staff.get('hushizhang.chen')!;
    const base = { caseId, reason: 'dissatisfied', ownerId: owner, summary: '客户不满意', deadlineAt: new Date('2026-12-08T01:00:00.000Z') };
    // Nulls and non-defaults in every kind of column; one escalation resolved (not open) and one of another owner.
    await db().prisma.escalation.createMany({
      data: [
        { ...base, id: 'FX-E1', sourceKey: 'fx:1' },
        {
          ...base,
          id: 'FX-E2',
          sourceKey: 'fx:2',
          followUpId,
          status: 'ACKNOWLEDGED',
          severity: 'high',
          level: 2,
          note: '已电话联系',
          acknowledgedAt: new Date('2026-12-07T02:00:00.000Z'),
          acknowledgedById: owner,
          incidentKey: `${caseId}:dissatisfied`,
          breachedAt: new Date('2026-12-07T03:00:00.000Z'),
          version: 3,
          deadlineAt: new Date('2026-12-07T05:00:00.000Z'),
        },
        { ...base, id: 'FX-E3', sourceKey: 'fx:3', status: 'RESOLVED', resolvedAt: new Date('2026-12-07T04:00:00.000Z'), resolvedById: owner },
        { ...base, id: 'FX-E4', sourceKey: 'fx:4', ownerId: staff.get('hushi.li')! },
      ],
    });

    const viaSql = await new PrismaEscalationStore(storeContext(db())).listOpenEscalationsOfOwner(owner, 10);
    const viaQueryApi = (
      await db().prisma.escalation.findMany({ where: { ownerId: owner, status: { in: ['OPEN', 'ACKNOWLEDGED'] } }, orderBy: [{ deadlineAt: 'asc' }, { id: 'asc' }] })
    ).map(toEscalationRecord);
    expect(viaSql.map((e) => e.id)).toEqual(['FX-E2', 'FX-E1']);
    expect(viaSql).toEqual(viaQueryApi);
  });
});

describe('fixed SQL placeholders', () => {
  it('runs on a client that `createPrismaClient` did not make, through $queryRawUnsafe', () => {
    const ids = new UlidGenerator();
    const calls: unknown[][] = [];
    const prisma = { $queryRawUnsafe: (...args: unknown[]) => (calls.push(args), Promise.resolve([])) } as never;
    void fixedSql({ prisma, capabilities: { provider: 'postgresql', skipLocked: true, singleWriter: false, insensitiveFilter: true } }).query('SELECT ? , ?', [1, 'a']);
    void fixedSql({ prisma, capabilities: { provider: 'sqlite', skipLocked: false, singleWriter: true, insensitiveFilter: false } }).query('SELECT ? , ?', [1, 'a']);
    expect(calls).toEqual([
      ['SELECT $1 , $2', 1, 'a'],
      ['SELECT ? , ?', 1, 'a'],
    ]);
  });
});
