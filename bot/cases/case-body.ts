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
import { INSTANT_RANGE_TEXT, isInstantInRange } from '../inbound-text.js';
import type { OrgSnapshot } from '../core/model.js';
import type { CaseInput } from '../core/ports/cases.js';
import type { CustomerInput } from '../core/ports/customers.js';

/**
 * An ISO-8601 instant with an explicit offset (`Z` or `+08:00`): a bare local time would be ambiguous.
 * Only instants from 1900 to 2999 are accepted, the range both databases store alike (bot/inbound-text.ts).
 */
export const instant = z
  .string()
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time with a timezone offset, e.g. 2026-11-03T10:00:00+08:00' })
  .refine((text) => isInstantInRange(new Date(text)), { message: `must be ${INSTANT_RANGE_TEXT}` });

/**
 * Body of `POST /api/v1/cases`. The route validates with it and the OpenAPI document describes it
 * (bot/http/openapi.ts); the descriptions are bilingual, Chinese first, as the API page shows them.
 */
export const caseBody = z
  .object({
    type: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, 'must be a snake_case case type such as discharge')
      .describe('案例类型（snake_case），决定由哪个策略包处理，如 discharge。 / Case type (snake_case); selects the policy pack, e.g. discharge.'),
    externalId: z
      .string()
      .min(1)
      .max(128)
      .describe('来源系统中的编号（住院号、工单号…）；与 type 一起唯一标识案例。 / The id in the sending system (admission no., ticket no.…); unique together with type.'),
    occurredAt: instant.describe('案例事件发生的时刻（出院、报修、投诉…），须带时区。 / When the case event happened (discharge, repair, complaint…), with offset.'),
    closedAt: instant
      .nullable()
      .optional()
      .describe('结案时刻；结案会取消尚未完成的回访。 / When the case was closed; closing cancels its open follow-ups.'),
    department: z.string().min(1).max(64).optional().describe('科室/部门编码。 / Department code.'),
    responsibleStaff: z.string().min(1).max(64).optional().describe('责任人的企业微信 UserID。 / WeCom user id of the responsible staff member.'),
    subjectStaff: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('被投诉人的企业微信 UserID；此人永不被指派为回访或升级负责人。 / WeCom user id of the person complained about; never assigned the follow-up or an escalation.'),
    customer: z
      .object({
        externalId: z.string().min(1).max(128).optional().describe('来源系统中的客户编号。 / The customer’s id in the sending system.'),
        name: z.string().min(1).max(64).describe('客户姓名或单位名称。 / Customer or organisation name.'),
        salutation: z.string().min(1).max(32).optional().describe('称呼，如 王女士。 / How to address them, e.g. 王女士.'),
        phone: z
          .string()
          .min(3)
          .max(32)
          .optional()
          .describe('手机号，常见写法均可（138 0000 0001、+86…），存为 E.164；回应中只显示掩码。 / Mobile number in any common form, stored as E.164; responses show it masked only.'),
        wechatOpenId: z.string().min(1).max(128).optional().describe('公众号 openid，用于模板消息。 / WeChat Official Account openid, for template messages.'),
        tags: z.array(z.string().min(1).max(32)).max(20).optional().describe('客户标签（分层抽样等用）。 / Customer tags (used e.g. by stratified sampling).'),
        consentMarketing: z.boolean().optional().describe('是否同意接收营销消息。 / Consent to marketing messages.'),
        consentSurvey: z.boolean().optional().describe('是否同意接收满意度调查。 / Consent to surveys.'),
        deceasedAt: instant.optional().describe('客户去世时刻；之后不再联系，未完成的回访全部结束。 / When the customer died; nothing further is sent and open follow-ups end.'),
      })
      .strict()
      .describe('客户。 / The customer.'),
    attributes: z
      .record(z.unknown())
      .optional()
      .describe('策略包使用的案例属性，如 {"severity": "normal"}。 / Case attributes the policy pack reads, e.g. {"severity": "normal"}.'),
    milestones: z
      .record(instant)
      .optional()
      .describe('命名的时刻（如 {"handled": "…"}），作为后续回访步骤的锚点。 / Named instants (e.g. {"handled": "…"}) that anchor later steps.'),
  })
  .strict()
  .describe('案例：按 type + externalId 幂等。 / A case; idempotent on type + externalId.');

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

/**
 * `VALIDATION_FAILED` naming every invalid field (`details.fields`): the API's 422 answer. `subject`
 * names what was invalid in the message (`case`, or `query` for a query string).
 */
export function toValidationError(issues: readonly z.ZodIssue[], subject: 'case' | 'query' = 'case'): DomainError {
  const fields = listCaseBodyIssues(issues);
  return new DomainError('VALIDATION_FAILED', `Invalid ${subject}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, { fields });
}

/**
 * The case and customer a body describes, with staff resolved by WeCom user id and departments by
 * code in `org`, the phone normalised to E.164, instants parsed. Unknown staff or departments and
 * invalid phones are DomainErrors naming the field. Shared by the API, `simulate`, the CSV import and
 * the pack tests.
 */
export function translateCaseBody(body: CaseBody, org: OrgSnapshot): { case: CaseInput; customer: CustomerInput } {
  const { staffByWecom, deptByCode } = lookupsOf(org);
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

/** Staff by WeCom user id and departments by code, built once per snapshot (a batch translates a thousand bodies against one). */
const lookups = new WeakMap<OrgSnapshot, { staffByWecom: Map<string, string>; deptByCode: Map<string, string> }>();

function lookupsOf(org: OrgSnapshot): { staffByWecom: Map<string, string>; deptByCode: Map<string, string> } {
  let found = lookups.get(org);
  if (!found) {
    found = {
      staffByWecom: new Map([...org.staff.values()].map((s) => [s.wecomUserId, s.id])),
      deptByCode: new Map([...org.departments.values()].map((d) => [d.code, d.id])),
    };
    lookups.set(org, found);
  }
  return found;
}

/**
 * `submitCase`'s input for a body, against the organisation as it is now (`deps.org`): what
 * `POST /api/v1/cases`, the demo and the tests submit.
 */
export async function toSubmitInput(app: { deps: { org: { loadOrgSnapshot(): Promise<OrgSnapshot> } } }, body: CaseBody, submittedBy: string) {
  return { submittedBy, ...translateCaseBody(body, await app.deps.org.loadOrgSnapshot()) };
}
