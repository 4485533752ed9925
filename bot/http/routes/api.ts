import { timingSafeEqual, createHash } from 'node:crypto';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { Huifang } from '../../huifang.js';
import { DomainError } from '../../core/errors.js';
import { normalizePhone } from '../../core/phone.js';
import { submitCase } from '../../core/cases/submit-case.js';
import type { OrgSnapshot } from '../../core/model.js';
import type { CaseInput } from '../../core/ports/cases.js';
import type { CustomerInput } from '../../core/ports/customers.js';
import { readJsonBody } from '../read-body.js';
import { decodeFollowUpCursor } from '../../core/ports/read-models.js';

/** An ISO-8601 instant with an explicit offset (`Z` or `+08:00`): a bare local time would be ambiguous. */
const instant = z.string().datetime({ offset: true, message: 'must be an ISO-8601 date-time with a timezone offset, e.g. 2026-11-03T10:00:00+08:00' });

/** Body of `POST /api/v1/cases`. */
export const caseBody = z
  .object({
    type: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a snake_case case type such as discharge'),
    externalId: z.string().min(1).max(128),
    occurredAt: instant,
    closedAt: instant.nullable().optional(),
    department: z.string().min(1).max(64).optional(),
    responsibleStaff: z.string().min(1).max(64).optional(),
    subjectStaff: z.string().min(1).max(64).optional(),
    customer: z
      .object({
        externalId: z.string().min(1).max(128).optional(),
        name: z.string().min(1).max(64),
        salutation: z.string().min(1).max(32).optional(),
        phone: z.string().min(3).max(32).optional(),
        wechatOpenId: z.string().min(1).max(128).optional(),
        tags: z.array(z.string().min(1).max(32)).max(20).optional(),
        consentMarketing: z.boolean().optional(),
        consentSurvey: z.boolean().optional(),
        deceasedAt: instant.optional(),
      })
      .strict(),
    attributes: z.record(z.unknown()).optional(),
    milestones: z.record(instant).optional(),
  })
  .strict();

export type CaseBody = z.infer<typeof caseBody>;

function validationError(issues: z.ZodIssue[]): DomainError {
  const fields = issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  return new DomainError('VALIDATION_FAILED', `Invalid case: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, { fields });
}

/** Bearer API keys from `API_KEYS`, compared in constant time; the key's name goes to the audit log. */
export function requireApiKey(app: Huifang): Middleware {
  const digests = app.config.apiKeys.map((k) => ({ name: k.name, digest: createHash('sha256').update(k.key).digest() }));
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (digests.length === 0) throw new DomainError('UNAUTHORIZED', 'The API is disabled: no API keys are configured (set API_KEYS)');
    if (!m) throw new DomainError('UNAUTHORIZED', 'Missing bearer API key (Authorization: Bearer <key>)');
    const presented = createHash('sha256').update(m[1]!).digest();
    const match = digests.find((d) => timingSafeEqual(d.digest, presented));
    if (!match) throw new DomainError('UNAUTHORIZED', 'Unknown API key');
    ctx.state.apiKeyName = match.name;
    await next();
  };
}

/** Translates the API body into the use case's input (resolving staff by WeCom id, departments by code). */
export async function toSubmitInput(app: Huifang, body: CaseBody, submittedBy: string) {
  return { submittedBy, ...translateCaseBody(body, await app.deps.org.loadOrgSnapshot()) };
}

/**
 * The case and customer a body describes, with staff resolved by WeCom user id and departments by
 * code in `org`, the phone normalised to E.164, instants parsed. Unknown staff or departments and
 * invalid phones are DomainErrors naming the field. Shared by the API, `simulate` and the pack tests.
 */
export function translateCaseBody(body: CaseBody, org: OrgSnapshot): { case: CaseInput; customer: CustomerInput } {
  const staffByWecom = new Map([...org.staff.values()].map((s) => [s.wecomUserId, s.id]));
  const deptByCode = new Map([...org.departments.values()].map((d) => [d.code, d.id]));
  const lookup = (field: string, value: string | undefined, map: Map<string, string>, code: string) => {
    if (value === undefined) return null;
    const id = map.get(value);
    if (!id) throw new DomainError(code, `${field}: "${value}" is not known`, { field });
    return id;
  };
  const responsibleStaffId = lookup('responsibleStaff', body.responsibleStaff, staffByWecom, 'UNKNOWN_STAFF');
  const subjectStaffId = lookup('subjectStaff', body.subjectStaff, staffByWecom, 'UNKNOWN_STAFF');
  const departmentId =
    lookup('department', body.department, deptByCode, 'UNKNOWN_DEPARTMENT') ?? (responsibleStaffId ? org.staff.get(responsibleStaffId)!.departmentId : null);
  let phone: { e164: string; masked: string } | null = null;
  if (body.customer.phone) {
    try {
      phone = normalizePhone(body.customer.phone);
    } catch (err) {
      if (err instanceof DomainError) throw new DomainError('INVALID_PHONE', 'customer.phone: not a valid phone number', { field: 'customer.phone' });
      throw err;
    }
  }
  return {
    case: {
      type: body.type,
      externalId: body.externalId,
      occurredAt: new Date(body.occurredAt),
      closedAt: body.closedAt ? new Date(body.closedAt) : null,
      departmentId,
      responsibleStaffId,
      attributes: { ...(body.attributes ?? {}), ...(subjectStaffId ? { subjectStaffId } : {}) },
      milestones: Object.fromEntries(Object.entries(body.milestones ?? {}).map(([k, v]) => [k, new Date(v)])),
    },
    customer: {
      externalId: body.customer.externalId ?? null,
      name: body.customer.name,
      salutation: body.customer.salutation ?? null,
      phoneE164: phone?.e164 ?? null,
      phoneMasked: phone?.masked ?? null,
      wechatOpenId: body.customer.wechatOpenId ?? null,
      tags: body.customer.tags ?? [],
      consentMarketing: body.customer.consentMarketing ?? null,
      consentSurvey: body.customer.consentSurvey ?? null,
      deceasedAt: body.customer.deceasedAt ? new Date(body.customer.deceasedAt) : null,
    },
  };
}

const STATUSES = ['SCHEDULED', 'ACTIVE', 'OVERDUE', 'DONE', 'UNREACHABLE', 'CANCELLED', 'SKIPPED'] as const;
const followUpQuery = z
  .object({
    status: z
      .string()
      .transform((s) => s.split(',').map((x) => x.trim().toUpperCase()))
      .pipe(z.array(z.enum(STATUSES)))
      .optional(),
    assignee: z.string().min(1).optional(),
    caseId: z.string().min(1).optional(),
    policy: z.string().min(1).optional(),
    dueBefore: instant.optional(),
    dueAfter: instant.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().min(1).optional(),
  })
  .strict();

/** `/api/v1`: cases in, follow-ups out. */
export function apiRoutes(router: Router, app: Huifang): void {
  const auth = requireApiKey(app);

  router.post('/api/v1/cases', auth, async (ctx) => {
    const parsed = caseBody.safeParse(await readJsonBody(ctx));
    if (!parsed.success) throw validationError(parsed.error.issues);
    const input = await toSubmitInput(app, parsed.data, String(ctx.state.apiKeyName));
    const result = await submitCase(app.deps, input);
    app.logger.info({ caseId: result.caseId, created: result.created, followUpsAdded: result.followUpsAdded, type: input.case.type }, result.created ? 'case created' : 'case resubmitted');
    ctx.status = result.created ? 201 : 200;
    ctx.body = { created: result.created, followUpsAdded: result.followUpsAdded, case: await app.views.cases.caseView(result.caseId) };
  });

  router.get('/api/v1/cases/:id', auth, async (ctx) => {
    const view = await app.views.cases.caseView(ctx.params.id!);
    if (!view) throw new DomainError('NOT_FOUND', 'No case with that id');
    ctx.body = view;
  });

  router.get('/api/v1/follow-ups', auth, async (ctx) => {
    const parsed = followUpQuery.safeParse(ctx.query);
    if (!parsed.success) throw validationError(parsed.error.issues);
    const q = parsed.data;
    let assigneeId: string | undefined;
    if (q.assignee) {
      const staff = await app.deps.org.findStaffByWecomUserId(q.assignee);
      assigneeId = staff?.id ?? q.assignee;
    }
    const cursor = q.cursor ? decodeFollowUpCursor(q.cursor) : undefined;
    if (cursor === null) throw validationError([{ code: 'custom', path: ['cursor'], message: 'is not a cursor from a previous page' }]);
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
