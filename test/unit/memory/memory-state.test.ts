// The in-memory database under the memory stores (bot/memory/memory-state.ts): a transaction applies
// all or nothing; unique keys and foreign keys are checked as the database checks them; what a caller
// is given is a copy.
import { describe, expect, it } from 'vitest';
import { ForeignKeyError, MemoryState, RecordNotFoundError, UniqueConstraintError } from '../../../bot/memory/memory-state.js';

const customer = (id: string, phoneE164: string | null = null) => ({ id, name: `客户${id}`, phoneE164 });

describe('MemoryState', () => {
  it('fills in the schema defaults of a new row', () => {
    const state = new MemoryState();
    state.transact((tx) => tx.customer.insert(customer('c1')));
    expect(state.rows('customer')).toEqual([
      expect.objectContaining({ id: 'c1', tags: '[]', consentSurvey: true, consentMarketing: false, optedOutAt: null, externalId: null }),
    ]);
  });

  it('commits nothing of a transaction that throws, whatever it wrote before', () => {
    const state = new MemoryState();
    state.transact((tx) => tx.customer.insert(customer('c1', '+8613800000001')));
    expect(() =>
      state.transact((tx) => {
        tx.customer.insert(customer('c2'));
        tx.customer.update('c1', { name: 'changed' });
        tx.customer.insert(customer('c3', '+8613800000001'));
      }),
    ).toThrow(UniqueConstraintError);
    expect(state.rows('customer').map((c) => [c.id, c.name])).toEqual([['c1', '客户c1']]);
  });

  it('lets a transaction go on after a statement it caught, with that statement undone', () => {
    const state = new MemoryState();
    state.transact((tx) => {
      tx.customer.insert(customer('c1', '+8613800000001'));
      try {
        tx.customer.insert(customer('c2', '+8613800000001'));
      } catch (err) {
        expect(err).toBeInstanceOf(UniqueConstraintError);
      }
      tx.customer.insert(customer('c3', '+8613800000003'));
    });
    expect(state.rows('customer').map((c) => c.id)).toEqual(['c1', 'c3']);
  });

  it('frees a unique key when its row takes another, within the same transaction', () => {
    const state = new MemoryState();
    state.transact((tx) => tx.customer.insert(customer('c1', '+8613800000001')));
    state.transact((tx) => {
      tx.customer.update('c1', { phoneE164: '+8613800000002' });
      tx.customer.insert(customer('c2', '+8613800000001'));
    });
    expect(state.transact((tx) => tx.customer.byUnique('phoneE164', '+8613800000001')?.id)).toBe('c2');
    expect(state.transact((tx) => tx.customer.byUnique('phoneE164', '+8613800000002')?.id)).toBe('c1');
  });

  it('indexes no NULL: any number of rows may leave a unique column empty', () => {
    const state = new MemoryState();
    state.transact((tx) => {
      tx.customer.insert(customer('c1'));
      tx.customer.insert(customer('c2'));
    });
    expect(state.rows('customer')).toHaveLength(2);
  });

  it('refuses a row naming a row that does not exist, and an update of a missing row', () => {
    const state = new MemoryState();
    const kase = { id: 'k1', type: 'discharge', externalId: 'ZY-1', policyId: 'P4', customerId: 'nobody', occurredAt: new Date(), createdAt: new Date() };
    expect(() => state.transact((tx) => tx.case.insert(kase))).toThrow(ForeignKeyError);
    expect(() => state.transact((tx) => tx.customer.update('nobody', { name: 'x' }))).toThrow(RecordNotFoundError);
    // Within one transaction, the row named may be written first.
    state.transact((tx) => {
      tx.customer.insert(customer('nobody'));
      tx.case.insert(kase);
    });
    expect(state.rows('case')).toHaveLength(1);
  });

  it('gives out copies: changing a row or a Date it returned changes nothing stored', () => {
    const state = new MemoryState();
    const at = new Date('2026-11-10T09:00:00+08:00');
    state.transact((tx) => tx.customer.insert({ ...customer('c1'), optedOutAt: at }));
    at.setTime(0);
    const [row] = state.rows('customer');
    row!.optedOutAt!.setTime(0);
    expect(() => ((row as { name: string }).name = 'x')).toThrow(TypeError);
    expect(state.rows('customer')[0]!.optedOutAt).toEqual(new Date('2026-11-10T09:00:00+08:00'));
  });

  it('leaves a column as it is when an update gives it as undefined (as Prisma does)', () => {
    const state = new MemoryState();
    state.transact((tx) => tx.customer.insert({ ...customer('c1'), salutation: '王女士' }));
    state.transact((tx) => tx.customer.update('c1', { salutation: undefined, name: '王秀英' }));
    expect(state.rows('customer')[0]).toMatchObject({ salutation: '王女士', name: '王秀英' });
  });

  it('refuses an asynchronous transaction and commits nothing of it', () => {
    const state = new MemoryState();
    expect(() =>
      state.transact(async (tx) => {
        tx.customer.insert(customer('c1'));
      }),
    ).toThrow(/synchronous/);
    expect(state.rows('customer')).toEqual([]);
  });
});
