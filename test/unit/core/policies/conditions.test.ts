// Step conditions: attribute values, numeric comparisons and any-of alternatives (bot/core/policies/sampling.ts).
import { describe, expect, it } from 'vitest';
import { conditionMatches, decideSampling, describeCondition } from '../../../../bot/core/policies/sampling.js';
import type { StepCondition } from '../../../../bot/core/policies/types.js';

describe('numeric comparisons', () => {
  it('selects children under 10 with { lt: 10 } (000 第三篇 1「年龄在10岁以下的学生直接致电给家长」)', () => {
    const under10 = { age: { lt: 10 } };
    expect(conditionMatches(under10, { age: 9 })).toBe(true);
    expect(conditionMatches(under10, { age: 9.5 })).toBe(true);
    expect(conditionMatches(under10, { age: 10 })).toBe(false);
  });

  it('selects 35 kV and above with { gte: 35 } (001 第五条「35KV及以上的大电力客户每年回访不少于一次」)', () => {
    const large = { voltageKv: { gte: 35 } };
    expect(conditionMatches(large, { voltageKv: 35 })).toBe(true);
    expect(conditionMatches(large, { voltageKv: 1100 })).toBe(true);
    expect(conditionMatches(large, { voltageKv: 10 })).toBe(false);
  });

  it('combines bounds: { gte: 24, lt: 36 } is 24 ≤ value < 36', () => {
    const band = { warrantyMonths: { gte: 24, lt: 36 } };
    expect([23, 24, 35, 36].map((m) => conditionMatches(band, { warrantyMonths: m }))).toEqual([false, true, true, false]);
    expect(conditionMatches({ n: { gt: 1, lte: 2 } }, { n: 2 })).toBe(true);
    expect(conditionMatches({ n: { gt: 1, lte: 2 } }, { n: 1 })).toBe(false);
  });

  it('never matches a missing, textual or non-finite attribute', () => {
    const large = { voltageKv: { gte: 35 } };
    expect(conditionMatches(large, {})).toBe(false);
    expect(conditionMatches(large, { voltageKv: '110' })).toBe(false);
    expect(conditionMatches(large, { voltageKv: Number.POSITIVE_INFINITY })).toBe(false);
  });
});

describe('anyOf', () => {
  // 002 制度18「必须采用上门方式回访，尤其包括以下三种情况：a.新签定《居家服务协议书》的顾客；b.新的家政服务人员
  // 提供的服务；c.上次服务曾被投诉过的家政服务人员提供的服务」
  const doorVisit: StepCondition = { anyOf: [{ newContract: [true] }, { newWorker: [true] }, { complainedWorker: [true] }] };

  it('holds when one alternative holds', () => {
    expect(conditionMatches(doorVisit, { newWorker: true })).toBe(true);
    expect(conditionMatches(doorVisit, { newContract: true, complainedWorker: true })).toBe(true);
    expect(conditionMatches(doorVisit, { newWorker: false })).toBe(false);
    expect(conditionMatches(doorVisit, {})).toBe(false);
  });

  it('is combined with the other attributes of the same condition (and)', () => {
    const repairDoorVisit: StepCondition = { serviceKind: ['repair'], ...doorVisit };
    expect(conditionMatches(repairDoorVisit, { serviceKind: 'repair', newWorker: true })).toBe(true);
    expect(conditionMatches(repairDoorVisit, { serviceKind: 'cleaning', newWorker: true })).toBe(false);
  });

  it('nests numeric comparisons: under 10 or 70 and over', () => {
    const vulnerable: StepCondition = { anyOf: [{ age: { lt: 10 } }, { age: { gte: 70 } }] };
    expect([5, 10, 69, 70].map((age) => conditionMatches(vulnerable, { age }))).toEqual([true, false, false, true]);
  });
});

describe('sampling reasons name the condition', () => {
  it('describes lists, comparisons and alternatives', () => {
    expect(describeCondition({ category: ['complaint', 'media'] })).toBe('category ∈ {complaint, media}');
    expect(describeCondition({ voltageKv: { gte: 35 } })).toBe('voltageKv ≥ 35');
    expect(describeCondition({ anyOf: [{ newWorker: [true] }, { age: { gte: 24, lt: 36 } }] })).toBe('(newWorker ∈ {true} or age ≥ 24 and age < 36)');
  });

  it('keeps a mandatory category chosen by a comparison at 100 %', () => {
    const decision = decideSampling({ mandatory: [{ voltageKv: { gte: 35 } }], rate: 0.1 }, 'P2', { type: 'power_service', externalId: 'X-1', attributes: { voltageKv: 110 } });
    expect(decision).toEqual({ kept: true, rate: 1, reason: 'mandatory category (voltageKv ≥ 35): 100 %' });
  });
});
