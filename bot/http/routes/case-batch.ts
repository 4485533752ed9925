/**
 * `POST /api/v1/cases/batch`: up to {@link MAX_BATCH_CASES} cases in one request, each with exactly
 * the validation, outcome and idempotency of `POST /api/v1/cases`, answered item by item in order.
 * An invalid item is its own 4xx result and does not stop the others; the batch as a whole is 200.
 * Scheduling is set-based (bot/core/cases/submit-cases.ts): new cases are planned in memory and
 * written in multi-row inserts, one transaction per chunk.
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { Huifang } from '../../huifang.js';
import { DomainError } from '../../core/errors.js';
import { submitCases } from '../../core/cases/submit-cases.js';
import type { SubmitCaseInput } from '../../core/cases/submit-case.js';
import { caseBody, toValidationError, translateCaseBody } from '../../cases/case-body.js';
import { errorBodySchema } from '../api-responses.js';
import { httpStatusOf } from '../error-middleware.js';
import { readJsonBody } from '../read-body.js';

/** Most cases in one batch request. */
export const MAX_BATCH_CASES = 1000;

/** Largest batch request body: a thousand cases of a few hundred bytes each, with room to spare. */
export const MAX_BATCH_BODY_BYTES = 4 * 1024 * 1024;

/** Body of `POST /api/v1/cases/batch`; each item is checked against `caseBody` on its own. */
export const caseBatchBody = z
  .object({
    cases: z
      .array(z.unknown())
      .min(1)
      .max(MAX_BATCH_CASES)
      .describe(`案例列表（1–${MAX_BATCH_CASES} 个），每个与 POST /api/v1/cases 的请求体相同。 / The cases (1–${MAX_BATCH_CASES}), each the body of POST /api/v1/cases.`),
  })
  .strict()
  .describe('一批案例。 / A batch of cases.');

/** One item's result in the answer. */
export const caseBatchItemSchema = z
  .object({
    index: z.number().int().min(0).describe('在请求 cases 中的位置（从 0 起）。 / Position in the request’s cases (from 0).'),
    status: z
      .number()
      .int()
      .describe('该案例单独提交时的 HTTP 状态：201 新建、200 已存在（已更新）、422 等错误。 / The status submitting it alone would have: 201 created, 200 existed (updated), 422 etc. on an error.'),
    caseId: z.string().optional().describe('Huifang 案例 id（成功时）。 / Huifang case id (on success).'),
    created: z.boolean().optional().describe('true：新建；false：已存在并按本次内容更新。 / true: created; false: it existed and was updated.'),
    followUpsAdded: z.number().int().min(0).optional().describe('本次新增的回访数。 / Follow-ups this item added.'),
    noStepApplies: z.array(z.string()).optional().describe('同单个提交：没有步骤适用时策略不认识取值的属性名。 / As for a single submission: attributes whose values no step names.'),
    error: errorBodySchema.shape.error.optional().describe('失败时的错误，与单个提交的错误体相同。 / On failure, the error a single submission would answer.'),
  })
  .strict();

/** Answer to `POST /api/v1/cases/batch`. */
export const caseBatchResultSchema = z
  .object({
    created: z.number().int().min(0).describe('新建的案例数。 / Cases created.'),
    resubmitted: z.number().int().min(0).describe('已存在的案例数（更新或未变）。 / Cases that existed (updated or unchanged).'),
    failed: z.number().int().min(0).describe('失败的条目数。 / Items that failed.'),
    results: z.array(caseBatchItemSchema).describe('每个条目的结果，顺序与请求相同。 / One result per item, in request order.'),
  })
  .strict()
  .describe('批量提交结果。 / The outcome of a batch.');

type BatchItem = z.infer<typeof caseBatchItemSchema>;

function errorItem(index: number, err: DomainError): BatchItem {
  return { index, status: httpStatusOf(err), error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}

/** Registers the batch route (behind the same API key check as the other `/api/v1` routes). */
export function caseBatchRoute(router: Router, app: Huifang, auth: Middleware): void {
  router.post('/api/v1/cases/batch', auth, async (ctx) => {
    const envelope = caseBatchBody.safeParse(await readJsonBody(ctx, MAX_BATCH_BODY_BYTES));
    if (!envelope.success) throw toValidationError(envelope.error.issues);
    const submittedBy = String(ctx.state.apiKeyName);
    const org = await app.deps.org.loadOrgSnapshot();
    const results: BatchItem[] = new Array(envelope.data.cases.length);
    const inputs: SubmitCaseInput[] = [];
    const positions: number[] = [];
    envelope.data.cases.forEach((item, index) => {
      const parsed = caseBody.safeParse(item);
      if (!parsed.success) {
        results[index] = errorItem(index, toValidationError(parsed.error.issues));
        return;
      }
      try {
        inputs.push({ submittedBy, ...translateCaseBody(parsed.data, org) });
        positions.push(index);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        results[index] = errorItem(index, err);
      }
    });
    const outcomes = await submitCases(app.deps, inputs);
    outcomes.forEach((outcome, i) => {
      const index = positions[i]!;
      if (outcome instanceof DomainError) {
        results[index] = errorItem(index, outcome);
        return;
      }
      results[index] = {
        index,
        status: outcome.created ? 201 : 200,
        caseId: outcome.caseId,
        created: outcome.created,
        followUpsAdded: outcome.followUpsAdded,
        ...(outcome.noStepApplies ? { noStepApplies: outcome.noStepApplies } : {}),
      };
    });
    const created = results.filter((r) => r.created === true).length;
    const resubmitted = results.filter((r) => r.created === false).length;
    const failed = results.filter((r) => r.error).length;
    const noStep = results.filter((r) => r.noStepApplies).length;
    app.logger.info({ cases: results.length, created, resubmitted, failed }, 'case batch submitted');
    // As for single cases: which attributes no step names, never their values (docs: README "Policies").
    if (noStep > 0) app.logger.warn({ cases: noStep, items: results.filter((r) => r.noStepApplies).slice(0, 20).map((r) => ({ caseId: r.caseId, attributes: r.noStepApplies })) }, 'cases match no step of their policy');
    ctx.status = 200;
    ctx.body = { created, resubmitted, failed, results };
  });
}
