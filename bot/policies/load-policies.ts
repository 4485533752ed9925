import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { AssigneeRule, Offset, PolicyDefinition } from '../core/policies/types.js';

/** Raised when a policy pack is invalid; lists every problem with file and path. */
export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError';
  constructor(readonly problems: string[]) {
    super(`Invalid policy pack(s):\n  ${problems.join('\n  ')}`);
  }
}

const offset = z
  .string()
  .regex(/^-?\d+(\.\d+)?\s+(hours|days)$/, 'must look like "7 days" or "24 hours"')
  .transform((s): Offset => {
    const [amount, unit] = s.trim().split(/\s+/);
    return { amount: Number(amount), unit: unit as Offset['unit'] };
  });
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:MM');
const rule = z
  .string()
  .refine((r) => ['responsible', 'supervisor', 'department_head', 'manager'].includes(r) || /^role:[a-z_]+$/.test(r), {
    message: 'unknown assignee rule (responsible, supervisor, department_head, manager or role:<name>)',
  })
  .transform((r) => r as AssigneeRule);
const condition = z.record(z.array(z.union([z.string(), z.number(), z.boolean()])).min(1));
const anchor = z
  .string()
  .regex(/^(event|milestone:[A-Za-z_][\w]*)$/, 'must be "event" or "milestone:<name>"')
  .transform((a) => (a === 'event' ? { kind: 'event' as const } : { kind: 'milestone' as const, name: a.slice('milestone:'.length) }));

const step = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case'),
    title: z.string().min(1),
    action: z.enum(['STAFF_TASK', 'CUSTOMER_SURVEY']),
    channel: z.enum(['wecom', 'sms', 'wechat']),
    anchor,
    when: condition.optional(),
    unless: condition.optional(),
    earliest: offset,
    earliestAtLocalTime: localTime.optional(),
    deadline: offset,
    deadlineAtLocalTime: localTime.optional(),
    assignee: z.array(z.union([rule, z.object({ when: condition, rules: z.array(rule).min(1) }).strict()])).optional(),
    maxAttempts: z.number().int().min(1).max(10),
    retryAfter: offset.optional(),
    instructions: z.string().min(1),
    surveyKey: z.string().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.action === 'CUSTOMER_SURVEY' && !s.surveyKey) ctx.addIssue({ code: 'custom', path: ['surveyKey'], message: 'required for CUSTOMER_SURVEY' });
    if (s.action === 'STAFF_TASK' && s.channel !== 'wecom') ctx.addIssue({ code: 'custom', path: ['channel'], message: 'staff tasks go to wecom' });
  });

const policy = z
  .object({
    id: z.string().regex(/^[A-Z][A-Za-z0-9_-]*$/),
    name: z.string().min(1),
    source: z.string().min(1),
    caseTypes: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/)).min(1),
    steps: z.array(step).min(1),
    escalation: z.object({ dissatisfiedTo: z.array(rule).min(1), deadline: offset }).strict(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.steps.forEach((s, i) => {
      if (seen.has(s.key)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'key'], message: `duplicate step key "${s.key}"` });
      seen.add(s.key);
    });
  });

/** Parses and validates one policy pack; problems name the file, line and field. */
export function parsePolicyPack(text: string, file: string): PolicyDefinition {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new PolicyLoadError(doc.errors.map((e) => `${file}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`));
  }
  const result = policy.safeParse(doc.toJS());
  if (!result.success) {
    throw new PolicyLoadError(
      result.error.issues.map((issue) => {
        const node = doc.getIn(issue.path, true) as { range?: [number, number] } | undefined;
        const line = node?.range ? lineOf(text, node.range[0]) : '?';
        return `${file}:${line}: ${issue.path.join('.') || '(root)'}: ${issue.message}`;
      }),
    );
  }
  return result.data as PolicyDefinition;
}

function lineOf(text: string, offsetChars: number): number {
  return text.slice(0, offsetChars).split('\n').length;
}

/** Loads every `*.yaml` pack in a folder; all problems across files are reported together. */
export function loadPolicyPacks(dir: string): PolicyDefinition[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  const problems: string[] = [];
  const packs: PolicyDefinition[] = [];
  for (const f of files) {
    try {
      packs.push(parsePolicyPack(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
    } catch (err) {
      if (err instanceof PolicyLoadError) problems.push(...err.problems);
      else throw err;
    }
  }
  const byType = new Map<string, string>();
  for (const p of packs) {
    for (const t of p.caseTypes) {
      const other = byType.get(t);
      if (other) problems.push(`case type "${t}" is claimed by both ${other} and ${p.id}`);
      byType.set(t, p.id);
    }
  }
  if (problems.length > 0) throw new PolicyLoadError(problems);
  return packs;
}
