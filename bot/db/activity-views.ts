import type { ActivityFigures, ActivityViews } from '../core/ports/read-models.js';
import type { StoreContext } from './store-context.js';
import { parseJson } from './rows.js';

/** `ActivityViews` over Prisma. */
export class PrismaActivityViews implements ActivityViews {
  constructor(private readonly db: StoreContext) {}

  async activityFigures(): Promise<ActivityFigures> {
    const prisma = this.db.prisma;
    const [cases, followUps, surveys, unparsed, optOuts, escalations, outbox, inbound, responses] = await Promise.all([
      prisma.case.groupBy({ by: ['policyId'], _count: { _all: true }, orderBy: { policyId: 'asc' } }),
      prisma.followUp.findMany({ select: { action: true, status: true, dueAt: true, deadlineAt: true, completedAt: true, attempts: true } }),
      prisma.surveyInstance.groupBy({ by: ['status'], _count: { _all: true } }),
      prisma.surveyResponse.count({ where: { satisfaction: null } }),
      prisma.customer.count({ where: { optedOutAt: { not: null } } }),
      prisma.escalation.findMany({ select: { reason: true, status: true, createdAt: true, deadlineAt: true, owner: { select: { name: true } } }, orderBy: { createdAt: 'asc' } }),
      prisma.outboxMessage.groupBy({ by: ['channel', 'kind', 'status'], _count: { _all: true } }),
      prisma.inboundEvent.findMany({ select: { kind: true, status: true, result: true } }),
      prisma.surveyResponse.groupBy({ by: ['satisfaction'], _count: { _all: true } }),
    ]);
    return {
      casesByPolicy: cases.map((c) => ({ policyId: c.policyId, count: c._count._all })),
      followUps,
      surveysByStatus: Object.fromEntries(surveys.map((s) => [s.status, s._count._all])),
      unparsedReplies: unparsed,
      optedOutCustomers: optOuts,
      escalations: escalations.map(({ owner, ...e }) => ({ ...e, ownerName: owner.name })),
      outbox: outbox.map((g) => ({ channel: g.channel, kind: g.kind, status: g.status, count: g._count._all })),
      inbound: inbound.map((e) => ({ kind: e.kind, status: e.status, result: parseJson<Record<string, unknown>>(e.result, {}) })),
      responsesBySatisfaction: responses.map((r) => ({ satisfaction: r.satisfaction, count: r._count._all })),
    };
  }
}
