export interface InboundEventInput {
  source: string;
  dedupeKey: string;
  kind: string;
  payload: Record<string, unknown>;
  receivedAt: Date;
}

export interface InboundEventRecord extends InboundEventInput {
  id: string;
  attempts: number;
}

/** The inbox every inbound event is recorded in before it is acted on (deduplicated by provider key). */
export interface InboxStore {
  /** Records an inbound event unless one with the same (source, dedupeKey) exists. */
  recordInbound(event: InboundEventInput & { id: string }): Promise<{ id: string; duplicate: boolean }>;
  /** Leases one event for processing (RECEIVED, or FAILED with attempts left); null if taken or done. */
  claimInbound(id: string, now: Date, leaseMs: number): Promise<InboundEventRecord | null>;
  /** Ids of events waiting for processing (crash recovery and retries). */
  listPendingInbound(now: Date, limit: number, maxAttempts: number): Promise<string[]>;
  finishInbound(id: string, status: 'PROCESSED' | 'REJECTED' | 'FAILED', at: Date, result: Record<string, unknown>, error?: string): Promise<void>;
}
