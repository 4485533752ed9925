import type { FollowUpAction, FollowUpOutcome, FollowUpStatus } from '../core/model.js';
import type { IdGenerator } from '../core/clock.js';
import type { PolicyRegistry } from '../core/ports/policies.js';
import type { DigestRecipient, DigestStore } from '../core/ports/digests.js';
import { findStep } from '../core/policies/find-step.js';
import { BECOMING_OVERDUE_HOURS, DIGEST_EVIDENCE_LIMIT, digestFollowUps, summariseFollowUps, type DigestEscalationRow, type DigestFollowUpRow, type DigestInput } from '../core/digests/build-digest.js';
import type { CustomerRow, FollowUpRow, MemoryState, MemoryTx } from './memory-state.js';
import { listManagerRecipients, MemoryManagerMessageOutbox } from './manager-messages.js';

/** Every status a due follow-up can have (all but SKIPPED). */
const DUE_STATUSES: readonly string[] = ['SCHEDULED', 'ACTIVE', 'OVERDUE', 'DONE', 'UNREACHABLE', 'CANCELLED'];

/** `DigestStore` in memory: the same input as `loadDigestInput` in bot/db/digest-store.ts loads. */
export class MemoryDigestStore extends MemoryManagerMessageOutbox implements DigestStore {
  constructor(
    state: MemoryState,
    ids: IdGenerator,
    private readonly policies: PolicyRegistry,
  ) {
    super(state, ids);
  }

  async listDigestRecipients(): Promise<DigestRecipient[]> {
    return this.state.transact(listManagerRecipients);
  }

  async loadDigestInputs(recipients: readonly DigestRecipient[], options: { from: Date; to: Date; asOf: Date; timeZone: string }): Promise<DigestInput[]> {
    const out: DigestInput[] = [];
    for (const r of recipients) out.push(await this.loadDigestInput(r, options));
    return out;
  }

  /**
   * The follow-ups of the recipient's subtree due in `[from, to)`, still OVERDUE from before it, and
   * open staff tasks whose deadline lies within 72 h of `asOf`; the escalations open now; and the
   * previous period's satisfaction rate.
   */
  async loadDigestInput(recipient: DigestRecipient, options: { from: Date; to: Date; asOf: Date; timeZone: string }): Promise<DigestInput> {
    const { from, to, asOf } = options;
    return this.state.transact((tx) => {
      const root = tx.department.get(recipient.rootDepartmentId);
      if (!root) throw new Error(`No department ${recipient.rootDepartmentId} for the digest of ${recipient.name}`);
      const departments = tx.department.filter((d) => d.path.startsWith(root.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const inSubtree = new Set(departments.map((d) => d.id));
      const caseInSubtree = (caseId: string) => {
        const departmentId = tx.case.get(caseId)!.departmentId;
        return departmentId !== null && inSubtree.has(departmentId);
      };
      const previousFrom = new Date(from.getTime() - (to.getTime() - from.getTime()));
      const horizon = new Date(asOf.getTime() + BECOMING_OVERDUE_HOURS * 3_600_000);
      const due = tx.followUp.filter((f) => DUE_STATUSES.includes(f.status) && f.deadlineAt >= from && f.deadlineAt < to && caseInSubtree(f.caseId));
      const backlog = tx.followUp.filter((f) => f.status === 'OVERDUE' && f.deadlineAt < from && caseInSubtree(f.caseId));
      const upcoming = tx.followUp.filter(
        (f) => (f.status === 'SCHEDULED' || f.status === 'ACTIVE') && f.action === 'STAFF_TASK' && f.deadlineAt >= asOf && f.deadlineAt < horizon && caseInSubtree(f.caseId),
      );
      const previous = tx.followUp.filter((f) => f.status === 'DONE' && f.deadlineAt >= previousFrom && f.deadlineAt < from && caseInSubtree(f.caseId));
      const seen = new Set<string>();
      const followUps: DigestFollowUpRow[] = [];
      for (const f of [...due, ...backlog, ...upcoming]) {
        if (seen.has(f.id)) continue;
        seen.add(f.id);
        followUps.push(this.digestRow(tx, f));
      }
      const openEscalations: DigestEscalationRow[] = tx.escalation
        .filter((e) => (e.status === 'OPEN' || e.status === 'ACKNOWLEDGED') && caseInSubtree(e.caseId))
        .map((e) => ({
          id: e.id,
          customer: customerLabel(tx.customer.get(tx.case.get(e.caseId)!.customerId)!),
          reason: e.reason,
          ownerName: tx.staff.get(e.ownerId)!.name,
          level: e.level,
          createdAt: new Date(e.createdAt.getTime()),
          deadlineAt: new Date(e.deadlineAt.getTime()),
          ...evidenceOf(tx.escalationEvidence.filter((x) => x.escalationId === e.id)),
        }));
      const previousFigures = summariseFollowUps(
        previous.map((p) => ({ status: p.status as FollowUpStatus, outcome: p.outcome as FollowUpOutcome | null, action: p.action as FollowUpAction, deadlineAt: p.deadlineAt, completedAt: p.completedAt })),
      );
      return {
        manager: { name: recipient.name },
        period: { from, to, timeZone: options.timeZone },
        asOf,
        departments: departments.map((d) => d.name),
        ...digestFollowUps(followUps, { from, to }, asOf),
        openEscalations,
        previousSatisfactionRate: previousFigures.satisfactionRate,
      };
    });
  }

  private digestRow(tx: MemoryTx, f: FollowUpRow): DigestFollowUpRow {
    const kase = tx.case.get(f.caseId)!;
    return {
      id: f.id,
      status: f.status as FollowUpStatus,
      outcome: f.outcome as FollowUpOutcome | null,
      action: f.action as FollowUpAction,
      assigneeName: f.assigneeId ? (tx.staff.get(f.assigneeId)?.name ?? null) : null,
      departmentName: kase.departmentId ? (tx.department.get(kase.departmentId)?.name ?? '—') : '—',
      dueAt: new Date(f.dueAt.getTime()),
      deadlineAt: new Date(f.deadlineAt.getTime()),
      completedAt: f.completedAt ? new Date(f.completedAt.getTime()) : null,
      title: findStep(this.policies.byId(f.policyId), f.step)?.title ?? f.step,
      customer: customerLabel(tx.customer.get(kase.customerId)!),
    };
  }
}

/** `王女士·尾号0001`: the salutation (or the family name) and the last four digits — never the full number. */
function customerLabel(c: Pick<CustomerRow, 'name' | 'salutation' | 'phoneMasked'>): string {
  const who = c.salutation ?? `${c.name.slice(0, 1)}**`;
  const digits = c.phoneMasked?.replace(/\D/g, '').slice(-4);
  return digits ? `${who}·尾号${digits}` : who;
}

/** An escalation's reports as the digest lists them: oldest first, at most DIGEST_EVIDENCE_LIMIT, with the total. */
function evidenceOf(rows: readonly { id: string; source: string; at: Date; note: string | null }[]) {
  const sorted = [...rows].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { evidence: sorted.slice(0, DIGEST_EVIDENCE_LIMIT).map((x) => ({ source: x.source, at: new Date(x.at.getTime()), note: x.note })), evidenceCount: rows.length };
}
