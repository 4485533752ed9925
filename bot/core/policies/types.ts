import type { ChannelName, FollowUpAction } from '../model.js';

/**
 * A policy (回访制度) as data. Policies are interpreted by `planFollowUps`; the policy-pack loader
 * (templates/policies) produces these objects. Every time is relative to an anchor on the case.
 */
export interface PolicyDefinition {
  /** Stable pack id, e.g. `P4`. */
  id: string;
  name: string;
  /** The seed clause(s) the policy implements, for audit and documentation. */
  source: string;
  /** Case types this policy schedules (`POST /api/v1/cases` `type`). */
  caseTypes: readonly string[];
  steps: readonly PolicyStep[];
  /** What a dissatisfied answer does (first escalation rule). */
  escalation: {
    /** Who receives a dissatisfied outcome, in order of preference. */
    dissatisfiedTo: readonly AssigneeRule[];
    /** Time the owner has to act. */
    deadline: Offset;
  };
}

export type OffsetUnit = 'hours' | 'days';

/** A signed duration; `days` are calendar days in the business timezone (wall-clock time is kept). */
export interface Offset {
  amount: number;
  unit: OffsetUnit;
}

/** Where a step's times are counted from: the case event, or a named milestone on the case. */
export type Anchor = { kind: 'event' } | { kind: 'milestone'; name: string };

/**
 * Who performs a staff task, tried in order until one resolves to an active staff member who is not
 * excluded (the person complained about is never assigned):
 * - `responsible`: the case's responsible staff member;
 * - `supervisor`: the responsible person's supervisor;
 * - `department_head`: head of the case's department (walking up the tree if vacant);
 * - `manager`: head of the parent of the case's department;
 * - `role:<name>`: an active member of the case's department (or its ancestors) with that role.
 */
export type AssigneeRule = 'responsible' | 'supervisor' | 'department_head' | 'manager' | `role:${string}`;

/** Condition on case attributes: all listed attributes must match one of the values. */
export type StepCondition = Readonly<Record<string, readonly (string | number | boolean)[]>>;

export interface PolicyStep {
  /** Unique within the policy; part of the follow-up's identity (one follow-up per case and step). */
  key: string;
  title: string;
  action: FollowUpAction;
  channel: ChannelName;
  anchor: Anchor;
  /** Earliest time the contact may happen (the task is pushed then). */
  earliest: Offset;
  /** Deadline; past it the follow-up is overdue. */
  deadline: Offset;
  /** Optional local time of day (HH:MM) for `earliest` when counted in days. */
  earliestAtLocalTime?: string;
  /** Optional local time of day (HH:MM) for `deadline` when counted in days (e.g. `23:59`). */
  deadlineAtLocalTime?: string;
  /** Only for cases whose attributes match. */
  when?: StepCondition;
  /** Not for cases whose attributes match (e.g. every discharge except serious ones). */
  unless?: StepCondition;
  /** Staff task assignee rules (ignored for customer surveys). */
  assignee?: readonly (AssigneeRule | { when: StepCondition; rules: readonly AssigneeRule[] })[];
  /** Contact attempts before the follow-up counts as unreachable (e.g. three failed calls). */
  maxAttempts: number;
  /** Delay before the next attempt after a failed call. */
  retryAfter?: Offset;
  /** What the staff member should ask / check (shown on the task card). */
  instructions: string;
  /** For customer surveys: the survey definition key. */
  surveyKey?: string;
}
