/**
 * The case as the outside world sends it: the JSON body of `POST /api/v1/cases`, which is also what
 * `huifang simulate --case FILE.json`, the CSV case import and the demo build. It names staff by WeCom
 * user id and departments by code and carries instants as ISO-8601 text; {@link translateCaseBody}
 * turns it into the core's `CaseInput` and `CustomerInput`.
 *
 * It lives outside `bot/core/` on purpose: this is a wire format (field names, string encodings and
 * validation messages are part of the API contract), while the core speaks resolved ids and `Date`s.
 */
import { z } from 'zod';
import { DomainError } from '../core/errors.js';
import { normalizePhone } from '../core/phone.js';
import type { OrgSnapshot } from '../core/model.js';
import type { CaseInput } from '../core/ports/cases.js';
import type { CustomerInput } from '../core/ports/customers.js';

/** An ISO-8601 instant with an explicit offset (`Z` or `+08:00`): a bare local time would be ambiguous. */
export const instant = z.string().datetime({ offset: true, message: 'must be an ISO-8601 date-time with a timezone offset, e.g. 2026-11-03T10:00:00+08:00' });

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

/** One invalid field: `customer.name`, or `(body)` for the body as a whole. */
export interface CaseBodyIssue {
  field: string;
  message: string;
}

/** zod's issues as the fields an API client or an operator has to fix. */
export function listCaseBodyIssues(issues: readonly z.ZodIssue[]): CaseBodyIssue[] {
  return issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
}

/** `VALIDATION_FAILED` naming every invalid field (`details.fields`): the API's 400 answer. */
export function toValidationError(issues: readonly z.ZodIssue[]): DomainError {
  const fields = listCaseBodyIssues(issues);
  return new DomainError('VALIDATION_FAILED', `Invalid case: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, { fields });
}

/**
 * The case and customer a body describes, with staff resolved by WeCom user id and departments by
 * code in `org`, the phone normalised to E.164, instants parsed. Unknown staff or departments and
 * invalid phones are DomainErrors naming the field. Shared by the API, `simulate`, the CSV import and
 * the pack tests.
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

/**
 * `submitCase`'s input for a body, against the organisation as it is now (`deps.org`): what
 * `POST /api/v1/cases`, the demo and the tests submit.
 */
export async function toSubmitInput(app: { deps: { org: { loadOrgSnapshot(): Promise<OrgSnapshot> } } }, body: CaseBody, submittedBy: string) {
  return { submittedBy, ...translateCaseBody(body, await app.deps.org.loadOrgSnapshot()) };
}
