import type { IdGenerator } from '../core/clock.js';
import type { SurveyRecord } from '../core/records.js';
import { noResponseAudit, surveyCompletionAudit } from '../core/follow-ups/completion-audit.js';
import type { SurveyPageRecord, SurveyStore } from '../core/ports/surveys.js';
import { UniqueConstraintError, type MemoryState } from './memory-state.js';
import { parseJson, toJson, toSurveyRecord } from './rows.js';
import { insertAudit, insertEscalation, insertOutbox } from './writes.js';

/** `SurveyStore` in memory: an answer, its follow-up's completion and what it decides commit once. */
export class MemorySurveyStore implements SurveyStore {
  constructor(
    private readonly state: MemoryState,
    private readonly ids: IdGenerator,
  ) {}

  async findSurveyPage(token: string): Promise<SurveyPageRecord | null> {
    return this.state.transact((tx) => {
      const row = tx.survey.byUnique('token', token);
      if (!row) return null;
      const customer = tx.customer.get(row.customerId)!;
      const draft = parseJson<unknown>(row.draft, null);
      return {
        ...toSurveyRecord(row),
        openedAt: row.openedAt ? new Date(row.openedAt.getTime()) : null,
        draft: draft && typeof draft === 'object' && !Array.isArray(draft) ? (draft as Record<string, string | string[]>) : null,
        customer: { salutation: customer.salutation, name: customer.name },
      };
    });
  }

  async saveSurveyDraft(surveyId: string, draft: Record<string, string | string[]>, now: Date): Promise<boolean> {
    return this.state.transact((tx) => tx.survey.updateWhere((s) => s.id === surveyId && s.status === 'OPEN' && s.expiresAt > now, { draft: JSON.stringify(draft) }) === 1);
  }

  async findLatestOpenSurvey(customerId: string, now: Date): Promise<SurveyRecord | null> {
    return this.state.transact((tx) => {
      const open = tx.survey.filter((s) => s.customerId === customerId && s.status === 'OPEN' && s.expiresAt > now);
      // sentAt descending (a survey never sent last, as SQLite orders NULLs), then id descending.
      open.sort((a, b) => (b.sentAt?.getTime() ?? Number.NEGATIVE_INFINITY) - (a.sentAt?.getTime() ?? Number.NEGATIVE_INFINITY) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      return open[0] ? toSurveyRecord(open[0]) : null;
    });
  }

  async findSurveyByToken(token: string): Promise<SurveyRecord | null> {
    return this.state.transact((tx) => {
      const row = tx.survey.byUnique('token', token);
      return row ? toSurveyRecord(row) : null;
    });
  }

  async findSurveyByReplyCode(replyCode: string): Promise<SurveyRecord | null> {
    return this.state.transact((tx) => {
      const row = tx.survey.byUnique('replyCode', replyCode);
      return row ? toSurveyRecord(row) : null;
    });
  }

  async recordSurveyAnswer(input: Parameters<SurveyStore['recordSurveyAnswer']>[0]): Promise<boolean> {
    try {
      return this.state.transact((tx) => {
        // The reply code is released for reuse by later surveys.
        const answered = tx.survey.updateWhere((s) => s.id === input.surveyId && s.status === 'OPEN', { status: 'ANSWERED', answeredAt: input.response.receivedAt, replyCode: null });
        if (answered !== 1) return false;
        const r = input.response;
        tx.surveyResponse.insert({
          id: r.id,
          surveyId: input.surveyId,
          channel: r.channel,
          rawText: r.rawText,
          answers: toJson(r.answers),
          score: r.score,
          satisfaction: r.satisfaction,
          inboundEventId: r.inboundEventId,
          receivedAt: r.receivedAt,
        });
        const survey = tx.survey.get(input.surveyId)!;
        const followUpId = survey.followUpId;
        const at = input.audit[0]?.at ?? r.receivedAt;
        if (followUpId) {
          const completed = tx.followUp.updateWhere((f) => f.id === followUpId && (f.status === 'ACTIVE' || f.status === 'OVERDUE'), (f) => ({
            status: 'DONE',
            outcome: input.followUpOutcome,
            completedAt: r.receivedAt,
            attempts: f.attempts + 1,
            version: f.version + 1,
          }));
          if (completed === 1) insertAudit(tx, this.ids, [surveyCompletionAudit(followUpId, survey.customerId, input.followUpOutcome, r.channel, at)]);
        }
        insertEscalation(tx, this.ids, input.escalation, at);
        insertOutbox(tx, this.ids, input.outbox, at);
        insertAudit(tx, this.ids, input.audit);
        return true;
      });
    } catch (err) {
      // The same inbound event recorded twice (unique inboundEventId): nothing new to record.
      if (err instanceof UniqueConstraintError) return false;
      throw err;
    }
  }

  async recordUnparsedReply(input: Parameters<SurveyStore['recordUnparsedReply']>[0]): Promise<void> {
    try {
      this.state.transact((tx) => {
        tx.surveyResponse.insert({ id: input.responseId, surveyId: input.surveyId, channel: 'sms', rawText: input.rawText, inboundEventId: input.inboundEventId, receivedAt: input.receivedAt });
      });
    } catch (err) {
      if (!(err instanceof UniqueConstraintError)) throw err;
    }
  }

  async markSurveyOpened(surveyId: string, at: Date): Promise<boolean> {
    return this.state.transact((tx) => tx.survey.updateWhere((s) => s.id === surveyId && s.openedAt === null, { openedAt: at }) === 1);
  }

  async expireSurveys(now: Date): Promise<{ expiredSurveys: number }> {
    return this.state.transact((tx) => {
      const ending = (f: { status: string; action: string; deadlineAt: Date }) => (f.status === 'ACTIVE' || f.status === 'OVERDUE') && f.action === 'CUSTOMER_SURVEY' && f.deadlineAt <= now;
      const ended = tx.followUp.filter(ending).map((f) => f.id);
      const expiredFollowUps = tx.followUp.updateWhere((f) => ending(f), (f) => ({ status: 'UNREACHABLE', outcome: 'NO_RESPONSE', completedAt: now, version: f.version + 1 }));
      insertAudit(tx, this.ids, ended.map((id) => noResponseAudit(id, now)));
      const expiredSurveys = tx.survey.updateWhere((s) => s.status === 'OPEN' && s.expiresAt <= now, { status: 'EXPIRED' });
      return { expiredSurveys: Math.max(expiredFollowUps, expiredSurveys) };
    });
  }
}
