/**
 * The in-memory database the memory stores share: one table (a Map) per Prisma model, with the
 * schema's primary keys, unique indexes and foreign keys (prisma/schema.prisma), and transactions
 * that apply all or nothing.
 *
 * A transaction is a synchronous function: it reads through an overlay of its own writes, each write
 * is checked against the unique indexes and foreign keys as the database checks a statement, and the
 * overlay is committed only when the function returns. A throw discards the overlay, so a failed
 * change leaves no trace. Because JavaScript runs one synchronous function at a time, transactions
 * are serialised like SQLite's writers: a compare-and-set inside one sees every earlier commit.
 *
 * Rows are frozen copies: a caller that changes a record it was given changes nothing stored. JSON
 * documents are kept as text, as both databases keep them, so what comes back is what JSON gives back.
 */

/** The department tree (`Department`). */
export interface DepartmentRow {
  id: string;
  code: string;
  name: string;
  parentId: string | null;
  path: string;
  headId: string | null;
}

export interface StaffRow {
  id: string;
  wecomUserId: string;
  name: string;
  departmentId: string;
  roles: string;
  supervisorId: string | null;
  active: boolean;
  source: string;
  syncedAt: Date | null;
}

export interface CustomerRow {
  id: string;
  externalId: string | null;
  name: string;
  salutation: string | null;
  phoneE164: string | null;
  phoneMasked: string | null;
  wechatOpenId: string | null;
  /** JSON list of strings. */
  tags: string;
  birthday: string | null;
  consentMarketing: boolean;
  consentSurvey: boolean;
  optedOutAt: Date | null;
  optOutSource: string | null;
  deceasedAt: Date | null;
  phoneInvalidAt: Date | null;
  wecomExternalId: string | null;
  wecomFollowUserId: string | null;
  wecomMatchedAt: Date | null;
}

export interface CaseRow {
  id: string;
  type: string;
  externalId: string;
  policyId: string;
  customerId: string;
  departmentId: string | null;
  responsibleStaffId: string | null;
  /** JSON object. */
  attributes: string;
  /** JSON object of ISO instants. */
  milestones: string;
  status: string;
  occurredAt: Date;
  closedAt: Date | null;
  createdAt: Date;
}

export interface FollowUpRow {
  id: string;
  caseId: string;
  customerId: string;
  policyId: string;
  step: string;
  sequence: number;
  action: string;
  channel: string;
  status: string;
  assigneeId: string | null;
  assigneeRule: string | null;
  earliestAt: Date;
  dueAt: Date;
  deadlineAt: Date;
  attempts: number;
  maxAttempts: number;
  activations: number;
  deferrals: number;
  /** The sampling-quota place it holds, unique. */
  quotaSlot: string | null;
  /** JSON object. */
  sampling: string;
  outcome: string | null;
  outcomeNote: string | null;
  outcomeById: string | null;
  completedAt: Date | null;
  activatedAt: Date | null;
  remindAt: Date | null;
  overdueAt: Date | null;
  leaseExpiresAt: Date | null;
  version: number;
  createdAt: Date;
}

export interface SurveyRow {
  id: string;
  followUpId: string | null;
  customerId: string;
  surveyKey: string;
  token: string;
  status: string;
  channel: string | null;
  replyCode: string | null;
  /** JSON object, or null. */
  draft: string | null;
  sentAt: Date | null;
  openedAt: Date | null;
  expiresAt: Date;
  answeredAt: Date | null;
  createdAt: Date;
}

export interface SurveyResponseRow {
  id: string;
  surveyId: string;
  channel: string;
  rawText: string | null;
  /** JSON object. */
  answers: string;
  score: number | null;
  satisfaction: string | null;
  inboundEventId: string | null;
  receivedAt: Date;
}

export interface OutboxRow {
  id: string;
  idempotencyKey: string;
  channel: string;
  kind: string;
  recipientType: string;
  recipientId: string;
  /** The `OutboundMessage` as JSON. */
  payload: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: Date;
  leaseExpiresAt: Date | null;
  claimToken: string | null;
  providerMessageId: string | null;
  deliveryStatus: string | null;
  deliveryError: string | null;
  deliveredAt: Date | null;
  lastErrorCode: string | null;
  lastError: string | null;
  sentAt: Date | null;
  followUpId: string | null;
  fallbackOfId: string | null;
  responseCode: string | null;
  sendStartedAt: Date | null;
  createdAt: Date;
}

export interface OutboxAttemptRow {
  id: string;
  messageId: string;
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
  outcome: string;
  errorCode: string | null;
  error: string | null;
}

export interface InboundRow {
  id: string;
  source: string;
  dedupeKey: string;
  kind: string;
  /** JSON object. */
  payload: string;
  status: string;
  attempts: number;
  leaseExpiresAt: Date | null;
  error: string | null;
  /** JSON object, or null before it is processed. */
  result: string | null;
  receivedAt: Date;
  processedAt: Date | null;
  nextAttemptAt: Date | null;
}

export interface EscalationRow {
  id: string;
  sourceKey: string;
  caseId: string;
  followUpId: string | null;
  reason: string;
  severity: string;
  level: number;
  ownerId: string;
  status: string;
  summary: string;
  deadlineAt: Date;
  note: string | null;
  acknowledgedAt: Date | null;
  acknowledgedById: string | null;
  resolvedAt: Date | null;
  resolvedById: string | null;
  secondFollowUpId: string | null;
  closedAt: Date | null;
  breachedAt: Date | null;
  incidentKey: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface EscalationEvidenceRow {
  id: string;
  escalationId: string;
  sourceKey: string;
  reason: string;
  followUpId: string | null;
  source: string;
  note: string | null;
  at: Date;
}

export interface AuditRow {
  id: string;
  at: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  /** JSON object. */
  details: string;
}

export interface SandboxDeliveryRow {
  id: string;
  channel: string;
  address: string;
  outboxMessageId: string;
  kind: string;
  content: string;
  deliveredAt: Date;
}

export interface SettingRow {
  key: string;
  value: string;
}

/** A limit window shared by every replica (`SharedWindow`). */
export interface SharedWindowRow {
  key: string;
  holder: string;
  count: number;
  until: Date;
}

export interface SharedWindowEventRow {
  key: string;
  seq: number;
  at: Date;
  until: Date;
}

export interface WebhookSubscriptionRow {
  id: string;
  url: string;
  /** JSON list of event types. */
  events: string;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: Date | null;
  timeoutMs: number;
  maxAttempts: number;
  active: boolean;
  coveredUntil: Date;
  createdAt: Date;
  removedAt: Date | null;
}

export interface GreetingPlanRunRow {
  campaign: string;
  sendDate: string;
  plannedAt: Date;
  coveredAt: Date | null;
}

export interface GreetingDeliveryRow {
  id: string;
  campaign: string;
  occasionKey: string;
  customerId: string;
  status: string;
  skipReason: string | null;
  channel: string | null;
  scheduledAt: Date;
  outboxMessageId: string | null;
  segment: string | null;
  createdAt: Date;
}

/** Every table, by name. */
export interface MemoryTables {
  department: DepartmentRow;
  staff: StaffRow;
  customer: CustomerRow;
  case: CaseRow;
  followUp: FollowUpRow;
  survey: SurveyRow;
  surveyResponse: SurveyResponseRow;
  outbox: OutboxRow;
  outboxAttempt: OutboxAttemptRow;
  inbound: InboundRow;
  escalation: EscalationRow;
  escalationEvidence: EscalationEvidenceRow;
  audit: AuditRow;
  sandboxDelivery: SandboxDeliveryRow;
  setting: SettingRow;
  greetingPlanRun: GreetingPlanRunRow;
  greetingDelivery: GreetingDeliveryRow;
  webhookSubscription: WebhookSubscriptionRow;
  sharedWindow: SharedWindowRow;
  sharedWindowEvent: SharedWindowEventRow;
}

export type TableName = keyof MemoryTables;

/** A table's keys: primary key, unique indexes (a null key is not indexed, like SQL NULL), foreign keys and column defaults. */
interface TableSpec<R> {
  key(row: R): string;
  unique: Record<string, (row: R) => string | null>;
  references: [column: keyof R & string, table: TableName][];
  /** Values of the columns a new row may leave out (the schema's defaults and nullable columns). */
  defaults: Partial<R>;
}

const pair = (a: string | null, b: string | null) => (a === null || b === null ? null : `${a}\u0000${b}`);

const SPECS: { [T in TableName]: TableSpec<MemoryTables[T]> } = {
  department: {
    key: (r) => r.id,
    unique: { code: (r) => r.code, headId: (r) => r.headId },
    references: [['parentId', 'department'], ['headId', 'staff']],
    defaults: { parentId: null, headId: null },
  },
  staff: {
    key: (r) => r.id,
    unique: { wecomUserId: (r) => r.wecomUserId },
    references: [['departmentId', 'department'], ['supervisorId', 'staff']],
    defaults: { supervisorId: null, active: true, source: 'import', syncedAt: null },
  },
  customer: {
    key: (r) => r.id,
    unique: { externalId: (r) => r.externalId, phoneE164: (r) => r.phoneE164, wechatOpenId: (r) => r.wechatOpenId },
    references: [],
    defaults: {
      externalId: null,
      salutation: null,
      phoneE164: null,
      phoneMasked: null,
      wechatOpenId: null,
      tags: '[]',
      birthday: null,
      consentMarketing: false,
      consentSurvey: true,
      optedOutAt: null,
      optOutSource: null,
      deceasedAt: null,
      phoneInvalidAt: null,
      wecomExternalId: null,
      wecomFollowUserId: null,
      wecomMatchedAt: null,
    },
  },
  case: {
    key: (r) => r.id,
    unique: { type_externalId: (r) => pair(r.type, r.externalId) },
    references: [['customerId', 'customer'], ['departmentId', 'department'], ['responsibleStaffId', 'staff']],
    defaults: { departmentId: null, responsibleStaffId: null, attributes: '{}', milestones: '{}', status: 'OPEN', closedAt: null },
  },
  followUp: {
    key: (r) => r.id,
    unique: { caseId_step: (r) => pair(r.caseId, r.step), quotaSlot: (r) => r.quotaSlot },
    references: [['caseId', 'case'], ['customerId', 'customer'], ['assigneeId', 'staff']],
    defaults: {
      assigneeId: null,
      assigneeRule: null,
      attempts: 0,
      maxAttempts: 3,
      activations: 0,
      deferrals: 0,
      quotaSlot: null,
      sampling: '{}',
      outcome: null,
      outcomeNote: null,
      outcomeById: null,
      completedAt: null,
      activatedAt: null,
      remindAt: null,
      overdueAt: null,
      leaseExpiresAt: null,
      version: 0,
    },
  },
  survey: {
    key: (r) => r.id,
    unique: { token: (r) => r.token, replyCode: (r) => r.replyCode, followUpId: (r) => r.followUpId },
    references: [['followUpId', 'followUp'], ['customerId', 'customer']],
    defaults: { followUpId: null, status: 'OPEN', channel: null, replyCode: null, draft: null, sentAt: null, openedAt: null, answeredAt: null },
  },
  surveyResponse: {
    key: (r) => r.id,
    unique: { inboundEventId: (r) => r.inboundEventId },
    references: [['surveyId', 'survey']],
    defaults: { rawText: null, answers: '{}', score: null, satisfaction: null, inboundEventId: null },
  },
  outbox: {
    key: (r) => r.id,
    unique: { idempotencyKey: (r) => r.idempotencyKey },
    references: [],
    defaults: {
      status: 'PENDING',
      attempts: 0,
      maxAttempts: 8,
      leaseExpiresAt: null,
      claimToken: null,
      providerMessageId: null,
      deliveryStatus: null,
      deliveryError: null,
      deliveredAt: null,
      lastErrorCode: null,
      lastError: null,
      sentAt: null,
      followUpId: null,
      fallbackOfId: null,
      responseCode: null,
      sendStartedAt: null,
    },
  },
  outboxAttempt: {
    key: (r) => r.id,
    unique: { messageId_attempt: (r) => pair(r.messageId, String(r.attempt)) },
    references: [['messageId', 'outbox']],
    defaults: { errorCode: null, error: null },
  },
  inbound: {
    key: (r) => r.id,
    unique: { source_dedupeKey: (r) => pair(r.source, r.dedupeKey) },
    references: [],
    defaults: { status: 'RECEIVED', attempts: 0, leaseExpiresAt: null, error: null, result: null, processedAt: null, nextAttemptAt: null },
  },
  escalation: {
    key: (r) => r.id,
    unique: { sourceKey: (r) => r.sourceKey, incidentKey: (r) => r.incidentKey },
    references: [['caseId', 'case'], ['followUpId', 'followUp'], ['ownerId', 'staff']],
    defaults: {
      followUpId: null,
      severity: 'normal',
      level: 1,
      status: 'OPEN',
      note: null,
      acknowledgedAt: null,
      acknowledgedById: null,
      resolvedAt: null,
      resolvedById: null,
      secondFollowUpId: null,
      closedAt: null,
      breachedAt: null,
      incidentKey: null,
      version: 0,
    },
  },
  escalationEvidence: { key: (r) => r.id, unique: { sourceKey: (r) => r.sourceKey }, references: [['escalationId', 'escalation']], defaults: { followUpId: null, note: null } },
  audit: { key: (r) => r.id, unique: {}, references: [], defaults: { actorId: null, details: '{}' } },
  sandboxDelivery: { key: (r) => r.id, unique: { outboxMessageId: (r) => r.outboxMessageId }, references: [], defaults: {} },
  setting: { key: (r) => r.key, unique: {}, references: [], defaults: {} },
  sharedWindow: { key: (r) => r.key, unique: {}, references: [], defaults: { holder: '', count: 0 } },
  sharedWindowEvent: { key: (r) => `${r.key}\u0000${r.seq}`, unique: {}, references: [], defaults: {} },
  webhookSubscription: { key: (r) => r.id, unique: {}, references: [], defaults: { active: true, removedAt: null, previousSecret: null, previousSecretUntil: null, timeoutMs: 10_000, maxAttempts: 12 } },
  greetingPlanRun: { key: (r) => `${r.campaign}\u0000${r.sendDate}`, unique: {}, references: [], defaults: { coveredAt: null } },
  greetingDelivery: {
    key: (r) => r.id,
    unique: { occasionKey_customerId: (r) => pair(r.occasionKey, r.customerId) },
    references: [],
    defaults: { skipReason: null, channel: null, outboxMessageId: null, segment: null },
  },
};

/** A write that breaks a primary key or unique index; the transaction changes nothing (Prisma's P2002). */
export class UniqueConstraintError extends Error {
  override readonly name = 'UniqueConstraintError';
  readonly code = 'P2002';
  constructor(
    readonly table: TableName,
    readonly constraint: string,
  ) {
    super(`Unique constraint failed on ${table}.${constraint}`);
  }
}

/** A write that names a row another table does not have (a foreign key); the transaction changes nothing. */
export class ForeignKeyError extends Error {
  override readonly name = 'ForeignKeyError';
  readonly code = 'P2003';
  constructor(
    readonly table: TableName,
    readonly column: string,
  ) {
    super(`Foreign key constraint failed on ${table}.${column}`);
  }
}

/** An update of a row that does not exist (Prisma's P2025 from `update`). */
export class RecordNotFoundError extends Error {
  override readonly name = 'RecordNotFoundError';
  readonly code = 'P2025';
  constructor(
    readonly table: TableName,
    readonly key: string,
  ) {
    super(`No ${table} row ${key} to update`);
  }
}

/**
 * `base` with the columns of `patch` over it, as a frozen copy with its Dates copied. An `undefined`
 * value leaves the column as it is (Prisma ignores `undefined` in `data`).
 */
function freeze<R extends object>(base: object, patch: object = {}): Readonly<R> {
  const out: Record<string, unknown> = {};
  for (const source of [base, patch]) {
    for (const [k, v] of Object.entries(source)) {
      if (v === undefined) continue;
      out[k] = v instanceof Date ? new Date(v.getTime()) : v;
    }
  }
  return Object.freeze(out) as Readonly<R>;
}

interface CommittedTable {
  rows: Map<string, Readonly<object>>;
  unique: Map<string, Map<string, string>>;
}

/** The state every memory store of one `createMemoryStores` call shares. */
export class MemoryState {
  readonly #tables = new Map<TableName, CommittedTable>();

  constructor() {
    for (const name of Object.keys(SPECS) as TableName[]) {
      this.#tables.set(name, { rows: new Map(), unique: new Map(Object.keys(SPECS[name].unique).map((index) => [index, new Map()])) });
    }
  }

  /**
   * Runs `fn` as one transaction: its writes are seen by its own reads and committed together when
   * it returns; if it throws, nothing is written. `fn` must be synchronous (no `await` inside), which
   * is what makes the transaction atomic against every other caller.
   */
  transact<T>(fn: (tx: MemoryTx) => T): T {
    const tx = new MemoryTx(this.#tables);
    const result = fn(tx);
    if (result && typeof (result as { then?: unknown }).then === 'function') {
      throw new Error('A memory transaction must be synchronous: it returned a promise, and nothing was committed');
    }
    tx.commit();
    return result;
  }

  /** Every committed row of `table`, in insertion order (frozen copies), for inspection. */
  rows<T extends TableName>(table: T): Readonly<MemoryTables[T]>[] {
    return [...this.#tables.get(table)!.rows.values()].map((r) => freeze<MemoryTables[T]>(r));
  }
}

/** One transaction over every table: `tx.outbox`, `tx.followUp` … */
export class MemoryTx {
  readonly #tables: Map<TableName, CommittedTable>;
  readonly #open = new Map<TableName, TxTable<object>>();

  constructor(tables: Map<TableName, CommittedTable>) {
    this.#tables = tables;
  }

  table<T extends TableName>(name: T): TxTable<MemoryTables[T]> {
    let t = this.#open.get(name);
    if (!t) {
      t = new TxTable<object>(name, SPECS[name] as unknown as TableSpec<object>, this.#tables.get(name)!, this);
      this.#open.set(name, t);
    }
    return t as unknown as TxTable<MemoryTables[T]>;
  }

  get department() { return this.table('department'); }
  get staff() { return this.table('staff'); }
  get customer() { return this.table('customer'); }
  get case() { return this.table('case'); }
  get followUp() { return this.table('followUp'); }
  get survey() { return this.table('survey'); }
  get surveyResponse() { return this.table('surveyResponse'); }
  get outbox() { return this.table('outbox'); }
  get outboxAttempt() { return this.table('outboxAttempt'); }
  get inbound() { return this.table('inbound'); }
  get escalation() { return this.table('escalation'); }
  get escalationEvidence() { return this.table('escalationEvidence'); }
  get audit() { return this.table('audit'); }
  get sandboxDelivery() { return this.table('sandboxDelivery'); }
  get setting() { return this.table('setting'); }
  get greetingPlanRun() { return this.table('greetingPlanRun'); }
  get greetingDelivery() { return this.table('greetingDelivery'); }
  get webhookSubscription() { return this.table('webhookSubscription'); }
  get sharedWindow() { return this.table('sharedWindow'); }
  get sharedWindowEvent() { return this.table('sharedWindowEvent'); }

  /** @internal Applies every table's overlay (called once, after the transaction's function returned). */
  commit(): void {
    for (const t of this.#open.values()) t.commit();
  }
}

/** One table inside a transaction: committed rows seen through the transaction's own writes. */
export class TxTable<R extends object> {
  /** Rows written by this transaction by primary key; null = deleted. */
  readonly #written = new Map<string, Readonly<R> | null>();
  /** Unique-index entries changed by this transaction: index → key → primary key (null = freed). */
  readonly #uniqueWritten = new Map<string, Map<string, string | null>>();

  constructor(
    readonly name: TableName,
    private readonly spec: TableSpec<R>,
    private readonly committed: CommittedTable,
    private readonly tx: MemoryTx,
  ) {}

  get(key: string): Readonly<R> | undefined {
    if (this.#written.has(key)) return this.#written.get(key) ?? undefined;
    return this.committed.rows.get(key) as Readonly<R> | undefined;
  }

  /** The row holding `key` in the unique index `index`. */
  byUnique(index: string, key: string): Readonly<R> | undefined {
    const holder = this.#holder(index, key);
    return holder ? this.get(holder) : undefined;
  }

  /** Every row, in insertion order (rows this transaction inserted last). */
  *all(): IterableIterator<Readonly<R>> {
    for (const [key, row] of this.committed.rows) {
      if (this.#written.has(key)) {
        const current = this.#written.get(key);
        if (current) yield current;
      } else yield row as Readonly<R>;
    }
    for (const [key, row] of this.#written) if (row && !this.committed.rows.has(key)) yield row;
  }

  filter(predicate: (row: Readonly<R>) => boolean): Readonly<R>[] {
    const out: Readonly<R>[] = [];
    for (const row of this.all()) if (predicate(row)) out.push(row);
    return out;
  }

  find(predicate: (row: Readonly<R>) => boolean): Readonly<R> | undefined {
    for (const row of this.all()) if (predicate(row)) return row;
    return undefined;
  }

  count(predicate: (row: Readonly<R>) => boolean): number {
    let n = 0;
    for (const row of this.all()) if (predicate(row)) n++;
    return n;
  }

  /** Inserts a row (defaults filled in); throws {@link UniqueConstraintError} or {@link ForeignKeyError}. */
  insert(input: Partial<R>): Readonly<R> {
    const row = freeze<R>(this.spec.defaults, input);
    const key = this.spec.key(row);
    if (this.get(key)) throw new UniqueConstraintError(this.name, 'primary');
    this.#write(key, undefined, row);
    return row;
  }

  /** Changes the columns given (`undefined` leaves a column as it is); throws {@link RecordNotFoundError} for a missing row. */
  update(key: string, patch: Partial<R>): Readonly<R> {
    const old = this.get(key);
    if (!old) throw new RecordNotFoundError(this.name, key);
    const row = freeze<R>(old, patch);
    this.#write(key, old, row);
    return row;
  }

  /**
   * `updateMany`: changes every row matching `where`; `patch` may depend on the row. Returns how many.
   * Unlike one SQL statement, a row that fails (a unique key taken) leaves the rows before it changed:
   * let the error end the transaction, which then commits nothing.
   */
  updateWhere(where: (row: Readonly<R>) => boolean, patch: Partial<R> | ((row: Readonly<R>) => Partial<R>)): number {
    const matching = this.filter(where);
    for (const row of matching) this.update(this.spec.key(row), typeof patch === 'function' ? patch(row) : patch);
    return matching.length;
  }

  delete(key: string): boolean {
    const old = this.get(key);
    if (!old) return false;
    for (const [index, keyOf] of Object.entries(this.spec.unique)) {
      const k = keyOf(old);
      if (k !== null) this.#uniqueFor(index).set(k, null);
    }
    this.#written.set(key, null);
    return true;
  }

  /** @internal */
  commit(): void {
    for (const [key, row] of this.#written) {
      if (row) this.committed.rows.set(key, row);
      else this.committed.rows.delete(key);
    }
    for (const [index, entries] of this.#uniqueWritten) {
      const map = this.committed.unique.get(index)!;
      for (const [k, holder] of entries) {
        if (holder === null) map.delete(k);
        else map.set(k, holder);
      }
    }
  }

  #write(key: string, old: Readonly<R> | undefined, row: Readonly<R>): void {
    // Validate the whole row before recording anything of it, so a failed statement leaves the
    // transaction as it was (the caller may catch and go on, as with Prisma).
    const changes: [index: string, oldKey: string | null, newKey: string | null][] = [];
    for (const [index, keyOf] of Object.entries(this.spec.unique)) {
      const newKey = keyOf(row);
      const oldKey = old ? keyOf(old) : null;
      if (newKey === oldKey) continue;
      if (newKey !== null) {
        const holder = this.#holder(index, newKey);
        if (holder !== undefined && holder !== key) throw new UniqueConstraintError(this.name, index);
      }
      changes.push([index, oldKey, newKey]);
    }
    for (const [column, table] of this.spec.references) {
      const value = row[column] as unknown;
      if (value === null || value === undefined || (old && old[column] === value)) continue;
      // A row may name itself (a staff member their own supervisor): it is being written now.
      if (table === this.name && value === key) continue;
      if (!this.tx.table(table).get(String(value))) throw new ForeignKeyError(this.name, column);
    }
    for (const [index, oldKey, newKey] of changes) {
      const entries = this.#uniqueFor(index);
      if (oldKey !== null && this.#holder(index, oldKey) === key) entries.set(oldKey, null);
      if (newKey !== null) entries.set(newKey, key);
    }
    this.#written.set(key, row);
  }

  #holder(index: string, key: string): string | undefined {
    const written = this.#uniqueWritten.get(index);
    if (written?.has(key)) return written.get(key) ?? undefined;
    return this.committed.unique.get(index)!.get(key);
  }

  #uniqueFor(index: string): Map<string, string | null> {
    let m = this.#uniqueWritten.get(index);
    if (!m) this.#uniqueWritten.set(index, (m = new Map()));
    return m;
  }
}
