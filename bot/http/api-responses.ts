/**
 * What `/api/v1` answers, as zod schemas of the read models (bot/core/ports/read-models.ts) and of the
 * error body (bot/http/error-middleware.ts). The OpenAPI document's response schemas are generated
 * from them, and test/e2e/openapi.test.ts checks real responses against that document, so the
 * document cannot drift from what the service returns. Objects are strict: a field the read model
 * gains without being described here fails that test. Each schema carries its component name
 * (`.openapi('CaseView')`), so the document refers to it wherever it is nested.
 */
import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import type { CaseStatus, ChannelName, FollowUpAction, FollowUpOutcome } from '../core/model.js';
import type { CaseView, FollowUpView } from '../core/ports/read-models.js';
import { FOLLOW_UP_STATUSES } from './follow-up-query.js';

extendZodWithOpenApi(z);

/** An instant in a response: always UTC, ISO-8601 with `Z` (`Date.toISOString()`). */
const utc = z.string().datetime();

const FOLLOW_UP_ACTIONS = ['STAFF_TASK', 'CUSTOMER_SURVEY'] as const satisfies readonly FollowUpAction[];
const CHANNELS = ['wecom', 'sms', 'wechat'] as const satisfies readonly ChannelName[];
const OUTCOMES = ['SATISFIED', 'NEUTRAL', 'DISSATISFIED', 'UNREACHABLE', 'NO_RESPONSE'] as const satisfies readonly FollowUpOutcome[];
const CASE_STATUSES = ['OPEN', 'CLOSED'] as const satisfies readonly CaseStatus[];

/** One follow-up (`FollowUpView`). */
export const followUpViewSchema = z
  .object({
    id: z.string().describe('回访 id。 / Follow-up id.'),
    caseId: z.string().describe('所属案例 id。 / Its case’s id.'),
    policyId: z.string().describe('策略包编号。 / Policy pack id.'),
    step: z.string().describe('策略包中的步骤键。 / The step’s key in the policy pack.'),
    sequence: z.number().int().describe('在案例中的序号。 / Order within the case.'),
    action: z.enum(FOLLOW_UP_ACTIONS).describe('STAFF_TASK：员工电话/上门回访（企业微信任务卡片）；CUSTOMER_SURVEY：发给客户的问卷。 / STAFF_TASK: a staff call or visit (WeCom task card); CUSTOMER_SURVEY: a survey sent to the customer.'),
    channel: z.enum(CHANNELS).describe('送达渠道。 / Delivery channel.'),
    status: z.enum(FOLLOW_UP_STATUSES).describe('状态：SCHEDULED 待开始，ACTIVE 进行中，OVERDUE 已超时，DONE 已完成，UNREACHABLE 联系不上，CANCELLED 已取消，SKIPPED 抽样未选中。 / Lifecycle status.'),
    assignee: z
      .object({
        id: z.string().describe('员工 id。 / Staff id.'),
        name: z.string().nullable().describe('姓名。 / Name.'),
        wecomUserId: z.string().nullable().describe('企业微信 UserID。 / WeCom user id.'),
        rule: z.string().nullable().describe('指派所依据的规则，如 responsible。 / The assignment rule that chose them, e.g. responsible.'),
      })
      .strict()
      .nullable()
      .describe('执行人；客户问卷为 null。 / Who does it; null for customer surveys.'),
    earliestAt: utc.describe('最早可联系时刻（UTC）。 / Earliest contact time (UTC).'),
    dueAt: utc.describe('应回访时刻（UTC）。 / Due time (UTC).'),
    deadlineAt: utc.describe('截止时刻（UTC），过后为 OVERDUE。 / Deadline (UTC); OVERDUE after it.'),
    attempts: z.number().int().min(0).describe('已尝试次数。 / Attempts made.'),
    maxAttempts: z.number().int().min(0).describe('最多尝试次数。 / Attempts allowed.'),
    sampling: z
      .object({
        kept: z.boolean().describe('是否被抽中。 / Whether the case was kept by sampling.'),
        reason: z.string().describe('抽样理由。 / Why.'),
        rate: z.number().min(0).max(1).describe('抽样比例。 / Sampling rate.'),
        draw: z.number().min(0).max(1).optional().describe('本案例的确定性随机数（比例低于 100 % 时）。 / The case’s deterministic draw (when the rate is below 100 %).'),
      })
      .passthrough()
      .describe('抽样决定及理由。 / The sampling decision and its reason.'),
    outcome: z.enum(OUTCOMES).nullable().describe('回访结果。 / Recorded outcome.'),
    outcomeNote: z.string().nullable().describe('结果备注。 / Note recorded with the outcome.'),
    completedAt: utc.nullable().describe('完成时刻（UTC）。 / When it was completed (UTC).'),
  })
  .strict()
  .describe('一次回访。 / One follow-up.')
  .openapi('FollowUpView') satisfies z.ZodType<FollowUpView>;

/** A case with its customer and follow-ups (`CaseView`). */
export const caseViewSchema = z
  .object({
    id: z.string().describe('Huifang 案例 id。 / Huifang case id.'),
    type: z.string().describe('案例类型。 / Case type.'),
    externalId: z.string().describe('来源系统中的编号。 / The id in the sending system.'),
    policyId: z.string().describe('处理该案例的策略包。 / The policy pack that plans it.'),
    status: z.enum(CASE_STATUSES).describe('OPEN 进行中，CLOSED 已结案。 / OPEN or CLOSED.'),
    occurredAt: utc.describe('事件时刻（UTC）。 / Event time (UTC).'),
    closedAt: utc.nullable().describe('结案时刻（UTC）。 / When it was closed (UTC).'),
    department: z
      .object({ code: z.string().describe('部门编码。 / Code.'), name: z.string().describe('部门名称。 / Name.') })
      .strict()
      .nullable()
      .describe('部门。 / Department.'),
    responsibleStaff: z
      .object({ name: z.string().describe('姓名。 / Name.'), wecomUserId: z.string().describe('企业微信 UserID。 / WeCom user id.') })
      .strict()
      .nullable()
      .describe('责任人。 / Responsible staff member.'),
    attributes: z.record(z.unknown()).describe('案例属性（含提交的 attributes）。 / Case attributes (as submitted, plus derived ones).'),
    milestones: z.record(utc).describe('命名的时刻（UTC）。 / Named instants (UTC).'),
    customer: z
      .object({
        id: z.string().describe('Huifang 客户 id。 / Huifang customer id.'),
        externalId: z.string().nullable().describe('来源系统中的客户编号。 / The customer’s id in the sending system.'),
        name: z.string().describe('姓名。 / Name.'),
        phone: z.string().nullable().describe('掩码后的手机号，如 138****0001；完整号码从不返回。 / Masked phone, e.g. 138****0001; the full number is never returned.'),
        optedOut: z.boolean().describe('客户是否已退订。 / Whether the customer opted out.'),
      })
      .strict()
      .describe('客户。 / The customer.'),
    followUps: z.array(followUpViewSchema).describe('按序号排列的回访。 / Its follow-ups in order.'),
    createdAt: utc.describe('Huifang 收到该案例的时刻（UTC）。 / When Huifang first received it (UTC).'),
  })
  .strict()
  .describe('案例及其客户和回访。 / A case with its customer and follow-ups.')
  .openapi('CaseView') satisfies z.ZodType<CaseView>;

/** Answer to `POST /api/v1/cases`. */
export const caseSubmittedSchema = z
  .object({
    created: z.boolean().describe('true：新建（201）；false：已存在，按本次内容更新（200）。 / true: created (201); false: it existed and was updated (200).'),
    followUpsAdded: z.number().int().min(0).describe('本次新增的回访数（重复提交为 0，新里程碑可能新增步骤）。 / Follow-ups this request added (0 on a plain resubmission; a new milestone may add steps).'),
    noStepApplies: z
      .array(z.string())
      .optional()
      .describe(
        '仅当策略没有任何步骤适用于这个新案例时出现：策略不认识其取值的属性名（如不在妇科回访表中的 `diagnosis`），只给名称不给取值。用 `huifang simulate` 查看可接受的取值。 / Only when no step of the policy applies to this new case: the attributes whose values no step names (e.g. a `diagnosis` outside the gynaecology table), names only. `huifang simulate` lists the values a pack accepts.',
      ),
    case: caseViewSchema,
  })
  .strict()
  .describe('提交结果。 / The outcome of a submission.')
  .openapi('CaseSubmitted');

/** A page of `GET /api/v1/follow-ups`. */
export const followUpPageSchema = z
  .object({
    items: z.array(followUpViewSchema).describe('按 (dueAt, id) 排序。 / Ordered by (dueAt, id).'),
    nextCursor: z.string().nullable().describe('下一页的 cursor；null 表示没有更多。 / The cursor of the next page; null when there is none.'),
  })
  .strict()
  .describe('一页回访。 / A page of follow-ups.')
  .openapi('FollowUpPage');

/** Every error answer: `{ "error": { code, message, details? } }`. */
export const errorBodySchema = z
  .object({
    error: z
      .object({
        code: z.string().describe('稳定的错误码（UPPER_SNAKE），程序据此判断。 / Stable error code (UPPER_SNAKE); match on this.'),
        message: z.string().describe('说明（英文），供人阅读，可能变化。 / Human-readable explanation (English); may change.'),
        details: z
          .object({
            fields: z
              .array(
                z
                  .object({
                    field: z.string().describe('字段路径，如 customer.name；(body) 表示整体。 / Field path, e.g. customer.name; (body) for the whole body or query.'),
                    message: z.string().describe('问题。 / What is wrong.'),
                  })
                  .strict(),
              )
              .optional()
              .describe('VALIDATION_FAILED：每个不合格的字段。 / VALIDATION_FAILED: every invalid field.'),
            field: z.string().optional().describe('UNKNOWN_STAFF、UNKNOWN_DEPARTMENT、INVALID_PHONE、UNKNOWN_CASE_TYPE：出错的字段。 / The field at fault.'),
            known: z.array(z.string()).optional().describe('UNKNOWN_CASE_TYPE：本服务接受的案例类型。 / UNKNOWN_CASE_TYPE: the case types this service accepts.'),
            limit: z.number().int().optional().describe('BODY_TOO_LARGE：允许的最大字节数。 / BODY_TOO_LARGE: the byte limit.'),
          })
          .passthrough()
          .optional()
          .describe('结构化细节（不含完整手机号等敏感数据）。 / Structured details (never full phone numbers or secrets).'),
      })
      .strict(),
  })
  .strict()
  .describe('错误。 / An error.')
  .openapi('ErrorBody');
