import type { SurveyRecord } from '../core/records.js';
import { noResponseAudit, surveyCompletionAudit } from '../core/follow-ups/completion-audit.js';
import type { SurveyPageRecord, SurveyStore } from '../core/ports/surveys.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { isUniqueViolation, parseJson, toJson, toSurveyRecord } from './rows.js';
import { insertAudit, insertEscalationWith } from './writes.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';
import { SURVEY_COLUMNS, surveyFromSql } from './sql-rows.js';
import { CallBatcher } from './call-batcher.js';
import { typedValues } from './typed-values.js';

/** `SurveyStore` over Prisma: an answer, its follow-up's completion and what it decides commit once. */
export class PrismaSurveyStore implements SurveyStore {
  private readonly sql: FixedSql;
  private readonly latestOpen: CallBatcher<{ customerId: string; now: Date }, SurveyRecord | null>;

  constructor(private readonly db: StoreContext) {
    this.sql = fixedSql(db);
    this.latestOpen = new CallBatcher((questions) => this.findLatestOpenSurveys(questions));
  }

  async findSurveyPage(token: string): Promise<SurveyPageRecord | null> {
    const row = await this.db.prisma.surveyInstance.findUnique({ where: { token }, include: { customer: { select: { salutation: true, name: true } } } });
    if (!row) return null;
    const draft = parseJson<unknown>(row.draft, null);
    return {
      ...toSurveyRecord(row),
      openedAt: row.openedAt,
      draft: draft && typeof draft === 'object' && !Array.isArray(draft) ? (draft as Record<string, string | string[]>) : null,
      customer: row.customer,
    };
  }

  async saveSurveyDraft(surveyId: string, draft: Record<string, string | string[]>, now: Date): Promise<boolean> {
    const { count } = await this.db.prisma.surveyInstance.updateMany({
      where: { id: surveyId, status: 'OPEN', expiresAt: { gt: now } },
      data: { draft: JSON.stringify(draft) },
    });
    return count === 1;
  }

  /** Fixed SQL on the driver adapter (every SMS reply asks it); the order is the query API's (NULLs as each database sorts them). */
  /**
   * Every SMS reply without a reply code looks up its customer's latest open survey: the look-ups of replies
   * handled at once are one statement ({@link findLatestOpenSurveys}); each call gets its own answer.
   */
  findLatestOpenSurvey(customerId: string, now: Date): Promise<SurveyRecord | null> {
    return this.latestOpen.run({ customerId, now });
  }

  /** For each question, in order, the customer's open survey unexpired at `now` sent last (null for none). */
  async findLatestOpenSurveys(questions: readonly { customerId: string; now: Date }[]): Promise<(SurveyRecord | null)[]> {
    const values = typedValues(this.db.capabilities, ['int', 'text', 'timestamp'], questions.map((q, i) => [i, q.customerId, q.now]));
    const rows = await this.sql.query(
      `WITH q (i, c, t) AS (${values.text}) SELECT * FROM (` +
        `SELECT q.i AS "question", ${SURVEY_COLUMNS}, ROW_NUMBER() OVER (PARTITION BY q.i ORDER BY "sentAt" DESC, "id" DESC) AS "rank" ` +
        `FROM q JOIN "SurveyInstance" ON "customerId" = q.c AND "status" = 'OPEN' AND "expiresAt" > q.t) AS r WHERE "rank" = 1`,
      values.params,
    );
    const found = new Map(rows.map((row) => [Number(row.question), surveyFromSql(row)]));
    return questions.map((_, i) => found.get(i) ?? null);
  }

  async findSurveyByToken(token: string): Promise<SurveyRecord | null> {
    const row = await this.db.prisma.surveyInstance.findUnique({ where: { token } });
    return row ? toSurveyRecord(row) : null;
  }

  /** Fixed SQL on the driver adapter, like {@link findLatestOpenSurvey}. */
  async findSurveyByReplyCode(replyCode: string): Promise<SurveyRecord | null> {
    const [row] = await this.sql.query(`SELECT ${SURVEY_COLUMNS} FROM "SurveyInstance" WHERE "replyCode" = ?`, [replyCode]);
    return row ? surveyFromSql(row) : null;
  }

  async recordSurveyAnswer(input: Parameters<SurveyStore['recordSurveyAnswer']>[0]): Promise<boolean> {
    try {
      return await this.db.prisma.$transaction(async (tx) => {
        const { count } = await tx.surveyInstance.updateMany({
          where: { id: input.surveyId, status: 'OPEN' },
          // The reply code is released for reuse by later surveys.
          data: { status: 'ANSWERED', answeredAt: input.response.receivedAt, replyCode: null },
        });
        if (count !== 1) return false;
        const r = input.response;
        await tx.surveyResponse.create({
          data: {
            id: r.id,
            surveyId: input.surveyId,
            channel: r.channel,
            rawText: r.rawText,
            answers: toJson(r.answers),
            score: r.score,
            satisfaction: r.satisfaction,
            inboundEventId: r.inboundEventId,
            receivedAt: r.receivedAt,
          },
        });
        const survey = await tx.surveyInstance.findUniqueOrThrow({ where: { id: input.surveyId }, select: { followUpId: true, customerId: true } });
        const at = input.audit[0]?.at ?? r.receivedAt;
        if (survey.followUpId) {
          const completed = await tx.followUp.updateMany({
            where: { id: survey.followUpId, status: { in: ['ACTIVE', 'OVERDUE'] } },
            data: { status: 'DONE', outcome: input.followUpOutcome, completedAt: r.receivedAt, attempts: { increment: 1 }, version: { increment: 1 } },
          });
          if (completed.count === 1) await insertAudit(tx, this.db.ids, [surveyCompletionAudit(survey.followUpId, survey.customerId, input.followUpOutcome, r.channel, at)]);
        }
        await insertEscalationWith(tx, this.db.ids, this.db.capabilities.provider, input.escalation, input.outbox, input.audit, at);
        return true;
      }, TX_OPTIONS);
    } catch (err) {
      // The same inbound event recorded twice (unique inboundEventId): nothing new to record.
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async recordUnparsedReply(input: Parameters<SurveyStore['recordUnparsedReply']>[0]): Promise<void> {
    try {
      await this.db.prisma.surveyResponse.create({
        data: { id: input.responseId, surveyId: input.surveyId, channel: 'sms', rawText: input.rawText, inboundEventId: input.inboundEventId, receivedAt: input.receivedAt },
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }

  async markSurveyOpened(surveyId: string, at: Date): Promise<boolean> {
    const { count } = await this.db.prisma.surveyInstance.updateMany({ where: { id: surveyId, openedAt: null }, data: { openedAt: at } });
    return count === 1;
  }

  async expireSurveys(now: Date): Promise<{ expiredSurveys: number }> {
    // Set-based statements driven by the (status, deadlineAt) and (status, expiresAt) indexes: the cost
    // follows the rows that change, not the table size; repeating them is harmless. Staff tasks past
    // their deadline are handled one by one instead (they escalate): bot/core/escalation/escalate-follow-up.ts.
    // The follow-ups that end are read first, so that each completion is audited (`follow_up.completed`,
    // the source of the `followup.completed` webhook); the update is guarded by the same condition, so
    // a replica that ended one a moment before is not audited twice (only the rows this update changed).
    return this.db.prisma.$transaction(async (tx) => {
      const ending = { status: { in: ['ACTIVE', 'OVERDUE'] }, action: 'CUSTOMER_SURVEY', deadlineAt: { lte: now } };
      const due = await tx.followUp.findMany({ where: ending, select: { id: true, customerId: true } });
      const ended: { id: string; customerId: string }[] = [];
      for (const f of due) {
        const { count } = await tx.followUp.updateMany({ where: { id: f.id, ...ending }, data: { status: 'UNREACHABLE', outcome: 'NO_RESPONSE', completedAt: now, version: { increment: 1 } } });
        if (count === 1) ended.push(f);
      }
      await insertAudit(tx, this.db.ids, ended.map((f) => noResponseAudit(f.id, now)));
      const expiredSurveys = await tx.surveyInstance.updateMany({ where: { status: 'OPEN', expiresAt: { lte: now } }, data: { status: 'EXPIRED' } });
      return { expiredSurveys: Math.max(ended.length, expiredSurveys.count) };
    }, TX_OPTIONS);
  }
}

