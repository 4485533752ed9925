import { timingSafeEqual, createHash } from 'node:crypto';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Huifang } from '../../huifang.js';
import { DomainError } from '../../core/errors.js';
import { submitCase } from '../../core/cases/submit-case.js';
import { caseBody, toSubmitInput, toValidationError } from '../../cases/case-body.js';
import { readJsonBody } from '../read-body.js';
import { noteFailedAuth, refuseIfThrottled } from '../failed-auth.js';
import { caseBatchRoute } from './case-batch.js';
import { followUpQuery } from '../follow-up-query.js';
import { decodeFollowUpCursor } from '../../core/ports/read-models.js';

/**
 * Bearer API keys from `API_KEYS`, compared in constant time; the key's name goes to the audit log. A
 * missing or wrong key counts as a failed authentication of the client address (bot/http/failed-auth.ts).
 */
export function requireApiKey(app: Huifang): Middleware {
  const digests = app.config.apiKeys.map((k) => ({ name: k.name, digest: createHash('sha256').update(k.key).digest() }));
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (digests.length === 0) throw new DomainError('UNAUTHORIZED', 'The API is disabled: no API keys are configured (set API_KEYS)');
    refuseIfThrottled(ctx);
    if (!m) {
      noteFailedAuth(ctx);
      throw new DomainError('UNAUTHORIZED', 'Missing bearer API key (Authorization: Bearer <key>)');
    }
    const presented = createHash('sha256').update(m[1]!).digest();
    const match = digests.find((d) => timingSafeEqual(d.digest, presented));
    if (!match) {
      noteFailedAuth(ctx);
      throw new DomainError('UNAUTHORIZED', 'Unknown API key');
    }
    ctx.state.apiKeyName = match.name;
    await next();
  };
}

/** `/api/v1`: cases in, follow-ups out. */
export function apiRoutes(router: Router, app: Huifang): void {
  const auth = requireApiKey(app);

  router.post('/api/v1/cases', auth, async (ctx) => {
    const parsed = caseBody.safeParse(await readJsonBody(ctx));
    if (!parsed.success) throw toValidationError(parsed.error.issues);
    const input = await toSubmitInput(app, parsed.data, String(ctx.state.apiKeyName));
    const result = await submitCase(app.deps, input);
    app.logger.info({ caseId: result.caseId, created: result.created, followUpsAdded: result.followUpsAdded, type: input.case.type }, result.created ? 'case created' : 'case resubmitted');
    // A case its policy plans nothing for is usually a value the pack does not know (a diagnosis outside
    // the table): the operator sees which attribute, never its value (docs: README "Policies").
    if (result.noStepApplies) app.logger.warn({ caseId: result.caseId, type: input.case.type, attributes: result.noStepApplies }, 'case matches no step of its policy');
    ctx.status = result.created ? 201 : 200;
    ctx.body = {
      created: result.created,
      followUpsAdded: result.followUpsAdded,
      ...(result.noStepApplies ? { noStepApplies: result.noStepApplies } : {}),
      case: await app.views.cases.caseView(result.caseId),
    };
  });

  // ---- batch submission (bot/http/routes/case-batch.ts)
  caseBatchRoute(router, app, auth);

  router.get('/api/v1/cases/:id', auth, async (ctx) => {
    const view = await app.views.cases.caseView(ctx.params.id!);
    if (!view) throw new DomainError('NOT_FOUND', 'No case with that id');
    ctx.body = view;
  });

  router.get('/api/v1/follow-ups', auth, async (ctx) => {
    const parsed = followUpQuery.safeParse(ctx.query);
    if (!parsed.success) throw toValidationError(parsed.error.issues, 'query');
    const q = parsed.data;
    let assigneeId: string | undefined;
    if (q.assignee) {
      const staff = await app.deps.org.findStaffByWecomUserId(q.assignee);
      assigneeId = staff?.id ?? q.assignee;
    }
    const cursor = q.cursor ? decodeFollowUpCursor(q.cursor) : undefined;
    if (cursor === null) throw toValidationError([{ code: 'custom', path: ['cursor'], message: 'is not a cursor from a previous page' }], 'query');
    ctx.body = await app.views.cases.listFollowUps({
      status: q.status,
      assigneeId,
      caseId: q.caseId,
      policyId: q.policy,
      dueBefore: q.dueBefore ? new Date(q.dueBefore) : undefined,
      dueAfter: q.dueAfter ? new Date(q.dueAfter) : undefined,
      limit: q.limit,
      cursor,
    });
  });
}
