import type { ActivityFigures, ActivityViews, CaseView, CaseViews, FollowUpFilter, FollowUpView } from '../core/ports/read-models.js';

/** A port method the memory stores do not implement: called, it says which one, rather than answer falsely. */
export class MemoryStoreUnsupportedError extends Error {
  override readonly name = 'MemoryStoreUnsupportedError';
  constructor(readonly method: string) {
    super(`${method} is not available on the in-memory stores: it is a read model over SQL (bot/db); use the Prisma stores`);
  }
}

/** The HTTP API's case and follow-up views: SQL reporting only (bot/db/case-views.ts). */
export class UnsupportedCaseViews implements CaseViews {
  async caseView(_id: string): Promise<CaseView | null> {
    throw new MemoryStoreUnsupportedError('CaseViews.caseView');
  }

  async listFollowUps(_filter: FollowUpFilter): Promise<{ items: FollowUpView[]; nextCursor: string | null }> {
    throw new MemoryStoreUnsupportedError('CaseViews.listFollowUps');
  }
}

/** The demo's and the console's activity figures: SQL reporting only (bot/db/activity-views.ts). */
export class UnsupportedActivityViews implements ActivityViews {
  async activityFigures(): Promise<ActivityFigures> {
    throw new MemoryStoreUnsupportedError('ActivityViews.activityFigures');
  }
}

/**
 * A port whose every method throws {@link MemoryStoreUnsupportedError} naming it: the console's
 * accounts, sessions and read models live in SQL only (bot/db/console-*.ts); the in-memory stores
 * serve the domain's use cases, which never reach them.
 */
export function unsupportedPort<T extends object>(port: string): T {
  return new Proxy({} as T, {
    get(_target, method) {
      if (typeof method !== 'string' || method === 'then') return undefined;
      return async () => {
        throw new MemoryStoreUnsupportedError(`${port}.${method}`);
      };
    },
  });
}
