import type {AuditEvent, CollectionName, CollectionTypes, LockInfo} from './records.js'

/** Equality filter on top-level fields (both backends implement exactly this). */
export type Filter<T> = Partial<{[K in keyof T]: T[K]}>

export interface Collection<T extends {id: string}> {
  get(id: string): Promise<T | undefined>
  list(filter?: Filter<T>): Promise<T[]>
  /** Fails with STATE_CONFLICT when a record with this id exists. */
  insert(record: T): Promise<T>
  /** Insert or replace. */
  put(record: T): Promise<T>
  /** Read-modify-write of one record; fails with STATE_NOT_FOUND when absent. */
  update(id: string, change: Partial<T> | ((current: T) => T)): Promise<T>
  delete(id: string): Promise<boolean>
  count(filter?: Filter<T>): Promise<number>
}

export type Collections = {[K in CollectionName]: Collection<CollectionTypes[K]>}

/** What a transaction sees: the collections plus gapless sequences. All or nothing. */
export interface StateTx extends Collections {
  /** Next value of a gapless named sequence (first value 1). Rolled back with the transaction. */
  nextSequence(name: string): Promise<number>
}

export interface AuditFilter {
  since?: string
  tenant?: string
  host?: string
  command?: string
  limit?: number
}

export interface AcquireOptions {
  owner: string
  /** Lease length; a holder must renew before it runs out. */
  ttlMs: number
}

export type AcquireResult = {acquired: true; lock: LockInfo} | {acquired: false; heldBy: LockInfo}

export interface Locks {
  acquire(key: string, options: AcquireOptions): Promise<AcquireResult>
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>
  release(key: string, owner: string): Promise<void>
  list(): Promise<LockInfo[]>
}

export interface StateInfo {
  backend: 'local' | 'postgres'
  location: string
  schemaVersion: number
  latestSchemaVersion: number
  counts: Record<CollectionName | 'auditEvents', number>
}

export interface StateDump {
  format: 'odoops-state'
  schemaVersion: number
  exportedAt: string
  collections: {[K in CollectionName]: CollectionTypes[K][]}
  auditEvents: AuditEvent[]
  sequences: Record<string, number>
}

export interface StateStore extends StateTx {
  readonly backend: 'local' | 'postgres'
  /** Location with any password removed. */
  readonly location: string
  transaction<R>(fn: (tx: StateTx) => Promise<R>): Promise<R>
  readonly audit: {
    append(event: AuditEvent): Promise<AuditEvent>
    list(filter?: AuditFilter): Promise<AuditEvent[]>
  }
  readonly locks: Locks
  info(): Promise<StateInfo>
  export(): Promise<StateDump>
  /** Import into an empty store; refuses when the store holds records. */
  import(dump: StateDump): Promise<void>
  close(): Promise<void>
}
