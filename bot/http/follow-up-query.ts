/**
 * The query string of `GET /api/v1/follow-ups`. The route validates with this schema and the OpenAPI
 * document (bot/http/openapi.ts) describes its parameters from it, so both always agree. Descriptions
 * are bilingual, Chinese first, as the API page shows them.
 */
import { z } from 'zod';
import type { FollowUpStatus } from '../core/model.js';
import { instant } from '../cases/case-body.js';

/** Every follow-up status, in lifecycle order (bot/core/follow-ups/status.ts). */
export const FOLLOW_UP_STATUSES = ['SCHEDULED', 'ACTIVE', 'OVERDUE', 'DONE', 'UNREACHABLE', 'CANCELLED', 'SKIPPED'] as const satisfies readonly FollowUpStatus[];

/** Largest page `limit` accepts. */
export const MAX_FOLLOW_UP_PAGE = 500;

/**
 * Filters and paging of `GET /api/v1/follow-ups`. Unknown parameters are rejected (strict), so a
 * misspelt filter is a 422 rather than silently ignored.
 */
export const followUpQuery = z
  .object({
    status: z
      .string()
      .describe(
        `按状态筛选，逗号分隔，不区分大小写：${FOLLOW_UP_STATUSES.join(', ')}。` +
          ` / Status filter, comma-separated, case-insensitive: ${FOLLOW_UP_STATUSES.join(', ')}.`,
      )
      .transform((s) => s.split(',').map((x) => x.trim().toUpperCase()))
      .pipe(z.array(z.enum(FOLLOW_UP_STATUSES)))
      .optional(),
    assignee: z.string().min(1).optional().describe('执行人的企业微信 UserID（或 Huifang 员工 id）。 / The assignee’s WeCom user id (or Huifang staff id).'),
    caseId: z.string().min(1).optional().describe('只列出该案例（Huifang 案例 id）的回访。 / Only follow-ups of this case (Huifang case id).'),
    policy: z.string().min(1).optional().describe('策略包编号，如 P4。 / Policy pack id, e.g. P4.'),
    dueBefore: instant.optional().describe('应回访时间早于此时刻（不含），须带时区。 / Due strictly before this instant (with offset).'),
    dueAfter: instant.optional().describe('应回访时间不早于此时刻（含），须带时区。 / Due at or after this instant (with offset).'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_FOLLOW_UP_PAGE)
      .default(50)
      .describe(`每页条数，1–${MAX_FOLLOW_UP_PAGE}，缺省 50。 / Page size, 1–${MAX_FOLLOW_UP_PAGE}, default 50.`),
    cursor: z
      .string()
      .min(1)
      .optional()
      .describe('上一页返回的 nextCursor，取下一页；其他筛选条件须保持不变。 / The previous page’s nextCursor, for the next page; keep the other filters unchanged.'),
  })
  .strict();
