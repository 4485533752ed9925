/**
 * The OpenAPI 3.1 document of `/api/v1`, generated from the zod schemas the routes validate with
 * (`caseBody`, `followUpQuery`) and the schemas of what they answer (bot/http/api-responses.ts), by
 * `@asteasolutions/zod-to-openapi` (the 7.x line, which targets zod 3). Nothing here restates a
 * field: descriptions live on the schemas, next to the validation rules.
 *
 * Served as `GET /openapi.json`, and rendered for people as `GET /api` (bot/http/api-page.ts).
 */
import { z } from 'zod';
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { DomainError } from '../core/errors.js';
import { caseBody, toValidationError } from '../cases/case-body.js';
import { followUpQuery } from './follow-up-query.js';
import { caseSubmittedSchema, caseViewSchema, errorBodySchema, followUpPageSchema } from './api-responses.js';
import { MAX_BODY_BYTES } from './read-body.js';
import type { CaseExample } from './case-examples.js';
import { invalidText } from '../inbound-text.js';
import { caseBatchBody, caseBatchResultSchema, MAX_BATCH_BODY_BYTES, MAX_BATCH_CASES } from './routes/case-batch.js';

// Adds `.openapi()` to zod's types; the generator calls it on copies, never on the schemas the routes use.
extendZodWithOpenApi(z);

/** The generated document (an OpenAPI 3.1 object, ready for JSON). */
export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/** A case type this service accepts, with the policy pack that plans it. */
export interface DocumentedCaseType {
  type: string;
  policyId: string;
  policyName: string;
}

/** What the document says beyond the schemas: examples and the accepted case types. */
export interface OpenApiDocumentOptions {
  /** Example case bodies (templates/policies/examples), shown with the request body. */
  examples: readonly CaseExample[];
  /** The case types the loaded policy packs accept, listed with the `type` field. */
  caseTypes: readonly DocumentedCaseType[];
}

/** The error body the error middleware writes for `err` (bot/http/error-middleware.ts). */
function errorBody(err: DomainError): z.input<typeof errorBodySchema> {
  return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}

/** Example error bodies, built from the very errors the routes throw. */
function errorExamples() {
  const noOffset = caseBody.safeParse({ type: 'discharge', externalId: 'ZY-1', occurredAt: '2026-11-03T15:30:00', customer: {} });
  const badQuery = followUpQuery.safeParse({ status: 'FINISHED', limit: '501' });
  return {
    unauthorized: { summary: '缺少 API key / Missing API key', value: errorBody(new DomainError('UNAUTHORIZED', 'Missing bearer API key (Authorization: Bearer <key>)')) },
    notFound: { summary: '没有该案例 / No such case', value: errorBody(new DomainError('NOT_FOUND', 'No case with that id')) },
    malformedJson: { summary: '不是 JSON / Not JSON', value: errorBody(new DomainError('MALFORMED_JSON', 'Request body is not valid JSON', {})) },
    bodyTooLarge: { summary: '请求体过大 / Body too large', value: errorBody(new DomainError('BODY_TOO_LARGE', `Request body exceeds ${MAX_BODY_BYTES} bytes`, { limit: MAX_BODY_BYTES })) },
    validationFailed: { summary: '字段不合格 / Invalid fields', value: errorBody(toValidationError(noOffset.success ? [] : noOffset.error.issues)) },
    invalidQuery: { summary: '查询参数不合格 / Invalid query', value: errorBody(toValidationError(badQuery.success ? [] : badQuery.error.issues, 'query')) },
    unknownStaff: { summary: '未知员工 / Unknown staff', value: errorBody(new DomainError('UNKNOWN_STAFF', 'responsibleStaff: "nobody.here" is not known', { field: 'responsibleStaff' })) },
    invalidPhone: { summary: '手机号无效 / Invalid phone', value: errorBody(new DomainError('INVALID_PHONE', 'customer.phone: not a valid phone number', { field: 'customer.phone' })) },
    invalidText: { summary: '无法保存的文字 / Text that cannot be stored', value: errorBody(invalidText('customer.name', 'contains the NUL character (U+0000)')) },
    invalidTextQuery: { summary: '无法保存的文字 / Text that cannot be stored', value: errorBody(invalidText('query.caseId', 'contains the NUL character (U+0000)')) },
    tooManyFailures: {
      summary: '认证失败过多 / Too many failed authentications',
      value: errorBody(new DomainError('TOO_MANY_FAILED_ATTEMPTS', 'Too many failed authentications from this address; retry in 840 s', { retryAfterSeconds: 840 })),
    },
    internal: { summary: '内部错误 / Internal error', value: { error: { code: 'INTERNAL', message: 'Internal error' } } },
  } satisfies Record<string, { summary: string; value: z.input<typeof errorBodySchema> }>;
}

/** Notes on the API as a whole: bilingual paragraphs, Chinese first (rendered by the API page too). */
function overview(): string {
  return [
    'Huifang（回访）的集成接口：医院 HIS、CRM 等外部系统提交案例（出院、报修、投诉…），Huifang 按策略包安排回访；也可查询案例与回访。',
    'Huifang’s integration API: other systems (a hospital’s HIS, a CRM…) submit cases (a discharge, a repair, a complaint…), Huifang plans their follow-ups by policy; cases and follow-ups can be read back.',
    '**认证** 每个请求带 `Authorization: Bearer <key>`。key 来自服务配置 `API_KEYS`（逗号分隔，每个至少 16 个字符，可写成 `name:key`，name 记入审计日志）；未配置任何 key 时接口拒绝所有请求。缺少或错误的 key 返回 401 `UNAUTHORIZED`；同一客户端地址失败过多（默认 15 分钟 20 次）后，该地址的请求一律返回 429 `TOO_MANY_FAILED_ATTEMPTS` 并带 `Retry-After`。',
    '**Authentication** Every request carries `Authorization: Bearer <key>`, a key from the service’s `API_KEYS` (comma-separated, each at least 16 characters, optionally `name:key`; the name goes to the audit log). With no key configured the API refuses every request. A missing or wrong key is 401 `UNAUTHORIZED`; after too many failures from one client address (20 in 15 minutes by default) every request from it is 429 `TOO_MANY_FAILED_ATTEMPTS` with `Retry-After`.',
    '**幂等** 案例由 `type` + `externalId` 唯一确定。首次提交返回 201；同一案例再次提交返回 200，按新内容更新并重新规划（新里程碑可能新增回访，`followUpsAdded` 给出数量；更正的时间会移动尚未开始的回访；结案或客户去世会结束未完成的回访），已推送或已回答的回访不受影响。网络重试可以放心重发同一请求；同时到达的两个相同请求只建一个案例。',
    '**Idempotency** A case is identified by `type` + `externalId`. The first submission answers 201; submitting the same case again answers 200 and updates and re-plans it (a new milestone may add follow-ups — `followUpsAdded` counts them; a corrected time moves what has not started; closing the case or a customer’s death ends what is open), leaving what was already pushed or answered alone. Retrying a request is safe; two identical requests arriving at once create one case.',
    '**时间** 请求中的时刻必须是带时区偏移的 ISO-8601，如 `2026-11-03T15:30:00+08:00` 或 `2026-11-03T07:30:00Z`；没有偏移的本地时间有歧义，返回 422；只接受 1900-01-01 至 2999-12-31 之间的时刻，其余也返回 422。响应中的时刻一律为 UTC（以 `Z` 结尾）。',
    '**Timestamps** Instants in requests must be ISO-8601 with an offset, e.g. `2026-11-03T15:30:00+08:00` or `2026-11-03T07:30:00Z`; a local time without one is ambiguous and answered with 422, and so is an instant outside 1900-01-01 – 2999-12-31. Instants in responses are always UTC (ending in `Z`).',
    `**请求体** JSON（\`Content-Type: application/json\`，UTF-8），最大 ${MAX_BODY_BYTES} 字节（256 KiB）；空的或不是 JSON 的请求体返回 400 \`MALFORMED_JSON\`，超出大小返回 413 \`BODY_TOO_LARGE\` 并关闭连接。未知字段会被拒绝（422）。任何文字（请求体、路径、查询参数）含 U+0000 或不成对的 UTF-16 代理项时返回 400 \`INVALID_TEXT\`，\`details.fields\` 指明字段。`,
    `**Request bodies** JSON (\`Content-Type: application/json\`, UTF-8), at most ${MAX_BODY_BYTES} bytes (256 KiB). An empty or non-JSON body is 400 \`MALFORMED_JSON\`; a larger one is 413 \`BODY_TOO_LARGE\` and the connection is closed. Unknown fields are rejected (422). Text anywhere (body, path, query) holding U+0000 or an unpaired UTF-16 surrogate is 400 \`INVALID_TEXT\`, with \`details.fields\` naming the field.`,
    '**错误** 所有错误的响应体都是 `{"error": {"code", "message", "details"}}`。程序按 `code` 判断，`message` 只供人阅读；字段错误在 `details.fields[].field`（如 `customer.name`）或 `details.field` 中。500 `INTERNAL` 不透露任何细节，可稍后重试。',
    '**Errors** Every error body is `{"error": {"code", "message", "details"}}`. Match on `code`; `message` is for people. Field errors are named in `details.fields[].field` (e.g. `customer.name`) or `details.field`. 500 `INTERNAL` reveals nothing and may be retried later.',
    '**隐私** 响应中只有掩码后的手机号，完整号码从不返回。',
    '**Privacy** Responses show masked phone numbers only; the full number is never returned.',
  ].join('\n\n');
}

/** Builds the document. Pure: the same options give the same document. */
export function buildOpenApiDocument(options: OpenApiDocumentOptions): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: '服务配置 `API_KEYS` 中的一个 key。 / One of the keys in the service’s `API_KEYS`.',
  });
  const security = [{ [bearer.name]: [] }];

  const CaseBody = registry.register('CaseBody', caseBody);

  const examples = errorExamples();
  const errorResponse = (description: string, ...names: (keyof typeof examples)[]) => ({
    description,
    content: { 'application/json': { schema: errorBodySchema, examples: Object.fromEntries(names.map((n) => [n, examples[n]])) } },
  });
  const common = {
    401: errorResponse('缺少或错误的 API key（UNAUTHORIZED）。 / Missing or unknown API key (UNAUTHORIZED).', 'unauthorized'),
    429: {
      ...errorResponse(
        '该客户端地址认证失败过多（TOO_MANY_FAILED_ATTEMPTS），Retry-After 秒后再试。 / Too many failed authentications from this client address (TOO_MANY_FAILED_ATTEMPTS); retry after Retry-After seconds.',
        'tooManyFailures',
      ),
      headers: { 'Retry-After': { description: '可再试前的秒数。 / Seconds until the address may try again.', schema: { type: 'integer' as const } } },
    },
    500: errorResponse('内部错误（INTERNAL），不含细节。 / Internal error (INTERNAL), without detail.', 'internal'),
  };

  const policyOf = new Map(options.caseTypes.map((t) => [t.type, t]));
  const caseTypeList = options.caseTypes.map((t) => `\`${t.type}\`（${t.policyId} ${t.policyName}）`).join('、');
  const caseTypeListEn = options.caseTypes.map((t) => `\`${t.type}\` (${t.policyId})`).join(', ');

  registry.registerPath({
    method: 'post',
    path: '/api/v1/cases',
    operationId: 'submitCase',
    tags: ['cases'],
    summary: '创建或更新案例 / Create or update a case',
    description: [
      '提交一个案例；按 `type` + `externalId` 幂等：新建返回 201，再次提交返回 200 并按新内容更新、重新规划回访。`responsibleStaff`、`subjectStaff` 是企业微信 UserID，`department` 是部门编码，三者都必须在 Huifang 的组织中存在（否则 422 `UNKNOWN_STAFF` / `UNKNOWN_DEPARTMENT`）。',
      'Submits a case, idempotent on `type` + `externalId`: 201 when created, 200 when it existed (it is updated and its follow-ups re-planned). `responsibleStaff` and `subjectStaff` are WeCom user ids and `department` a department code, all of which must exist in Huifang’s organisation (else 422 `UNKNOWN_STAFF` / `UNKNOWN_DEPARTMENT`).',
      ...(caseTypeList ? [`本服务接受的 \`type\`：${caseTypeList}；其他类型返回 422 \`UNKNOWN_CASE_TYPE\`。`, `The case types this service accepts: ${caseTypeListEn}; any other is 422 \`UNKNOWN_CASE_TYPE\`.`] : []),
    ].join('\n\n'),
    security,
    request: {
      body: {
        required: true,
        description: '案例（示例来自 templates/policies/examples）。 / The case (examples from templates/policies/examples).',
        content: {
          'application/json': {
            schema: CaseBody,
            examples: Object.fromEntries(
              options.examples.map((e) => {
                const policy = policyOf.get(String(e.value.type));
                return [e.name, { summary: policy ? `${policy.policyId} ${policy.policyName} · ${String(e.value.type)}` : e.name, value: e.value }];
              }),
            ),
          },
        },
      },
    },
    responses: {
      200: { description: '案例已存在，已按本次内容更新（重复提交时 followUpsAdded 为 0）。 / The case existed and was updated (followUpsAdded is 0 on a plain resubmission).', content: { 'application/json': { schema: caseSubmittedSchema } } },
      201: { description: '案例已创建，回访已安排。 / The case was created and its follow-ups planned.', content: { 'application/json': { schema: caseSubmittedSchema } } },
      400: errorResponse(
        '请求体为空、不是 JSON 或嵌套过深（MALFORMED_JSON）；文字含 U+0000 或不成对的代理项（INVALID_TEXT，details.fields 指明字段）。 / Empty, non-JSON or too deeply nested body (MALFORMED_JSON); text holding U+0000 or an unpaired surrogate (INVALID_TEXT, details.fields names the field).',
        'malformedJson',
        'invalidText',
      ),
      401: common[401],
      429: common[429],
      413: errorResponse(`请求体超过 ${MAX_BODY_BYTES} 字节（BODY_TOO_LARGE），连接随后关闭。 / Body over ${MAX_BODY_BYTES} bytes (BODY_TOO_LARGE); the connection is then closed.`, 'bodyTooLarge'),
      422: errorResponse(
        '无法接受的案例：VALIDATION_FAILED（details.fields 列出每个字段）、UNKNOWN_CASE_TYPE、UNKNOWN_STAFF、UNKNOWN_DEPARTMENT、INVALID_PHONE（details.field）。 / The case cannot be accepted: VALIDATION_FAILED (details.fields names each field), UNKNOWN_CASE_TYPE, UNKNOWN_STAFF, UNKNOWN_DEPARTMENT, INVALID_PHONE (details.field).',
        'validationFailed',
        'unknownStaff',
        'invalidPhone',
      ),
      500: common[500],
    },
  });

  // ---- batch submission (bot/http/routes/case-batch.ts)
  registry.registerPath({
    method: 'post',
    path: '/api/v1/cases/batch',
    operationId: 'submitCaseBatch',
    tags: ['cases'],
    summary: '批量创建或更新案例 / Create or update cases in a batch',
    description: [
      `一次提交最多 ${MAX_BATCH_CASES} 个案例，每个与 \`POST /api/v1/cases\` 的请求体相同，校验、结果和幂等性也与单个提交相同。回应 200，\`results\` 按请求顺序给出每个条目的状态（201 新建、200 已存在、422 等错误及其错误体）；一个条目出错不影响其他条目。重发同一批是安全的。请求体最大 ${MAX_BATCH_BODY_BYTES} 字节。`,
      `Submits up to ${MAX_BATCH_CASES} cases at once, each the body of \`POST /api/v1/cases\`, with the same validation, outcome and idempotency as a single submission. Answers 200 with \`results\` in request order: each item’s status (201 created, 200 existed, 422 etc. with the error body); an invalid item does not stop the others. Retrying a batch is safe. Bodies up to ${MAX_BATCH_BODY_BYTES} bytes.`,
    ].join('\n\n'),
    security,
    request: { body: { required: true, content: { 'application/json': { schema: caseBatchBody } } } },
    responses: {
      200: { description: '每个条目的结果。 / One result per item.', content: { 'application/json': { schema: caseBatchResultSchema } } },
      400: errorResponse('请求体为空或不是 JSON（MALFORMED_JSON）。 / Empty or non-JSON body (MALFORMED_JSON).', 'malformedJson'),
      401: common[401],
      413: errorResponse(`请求体超过 ${MAX_BATCH_BODY_BYTES} 字节（BODY_TOO_LARGE）。 / Body over ${MAX_BATCH_BODY_BYTES} bytes (BODY_TOO_LARGE).`, 'bodyTooLarge'),
      422: errorResponse('cases 不是 1–1000 个条目的数组（VALIDATION_FAILED）。 / cases is not an array of 1–1000 items (VALIDATION_FAILED).', 'validationFailed'),
      500: common[500],
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/v1/cases/{id}',
    operationId: 'getCase',
    tags: ['cases'],
    summary: '查询案例 / Get a case',
    description: '案例、客户（手机号掩码）及其全部回访。 / The case, its customer (masked phone) and all its follow-ups.',
    security,
    request: { params: z.object({ id: z.string().min(1).describe('Huifang 案例 id（提交时返回的 case.id）。 / Huifang case id (case.id in the submission’s answer).') }) },
    responses: {
      200: { description: '案例。 / The case.', content: { 'application/json': { schema: caseViewSchema } } },
      400: errorResponse('id 含 U+0000（INVALID_TEXT）。 / The id holds U+0000 (INVALID_TEXT).', 'invalidText'),
      401: common[401],
      429: common[429],
      404: errorResponse('没有该案例（NOT_FOUND）。 / No case with that id (NOT_FOUND).', 'notFound'),
      500: common[500],
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/v1/follow-ups',
    operationId: 'listFollowUps',
    tags: ['follow-ups'],
    summary: '查询回访 / List follow-ups',
    description: [
      '按条件列出回访，按 (dueAt, id) 排序，分页：把上一页的 `nextCursor` 作为 `cursor` 取下一页，直到 `nextCursor` 为 null。未知参数返回 422。',
      'Lists follow-ups ordered by (dueAt, id), a page at a time: pass the previous page’s `nextCursor` as `cursor` until `nextCursor` is null. Unknown parameters are 422.',
    ].join('\n\n'),
    security,
    request: { query: followUpQuery },
    responses: {
      200: { description: '一页回访。 / A page of follow-ups.', content: { 'application/json': { schema: followUpPageSchema } } },
      400: errorResponse('参数含 U+0000（INVALID_TEXT，details.fields 指明参数）。 / A parameter holds U+0000 (INVALID_TEXT; details.fields names it).', 'invalidTextQuery'),
      401: common[401],
      429: common[429],
      422: errorResponse('查询参数不合格（VALIDATION_FAILED，details.fields 列出每个参数）。 / Invalid query (VALIDATION_FAILED; details.fields names each parameter).', 'invalidQuery'),
      500: common[500],
    },
  });

  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Huifang（回访）API',
      version: '1',
      description: overview(),
    },
    tags: [
      { name: 'cases', description: '案例 / Cases' },
      { name: 'follow-ups', description: '回访 / Follow-ups' },
    ],
  });
  allowNullInNullableEnums(document);
  return document;
}

/**
 * zod-to-openapi 7 writes `z.enum([…]).nullable()` as `{"type": ["string", "null"], "enum": […]}`
 * without `null` among the enum values, which JSON Schema then rejects for null. Adds it, in place.
 */
function allowNullInNullableEnums(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) allowNullInNullableEnums(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const schema = node as { type?: unknown; enum?: unknown[] };
  if (Array.isArray(schema.type) && schema.type.includes('null') && Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum.push(null);
  for (const value of Object.values(node)) allowNullInNullableEnums(value);
}
