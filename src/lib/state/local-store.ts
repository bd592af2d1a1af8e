import {appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, unlinkSync} from 'node:fs'
import {join} from 'node:path'
import {randomBytes} from 'node:crypto'
import type {AuditEvent, CollectionName, CollectionTypes, LockInfo} from './records.js'
import {COLLECTIONS} from './records.js'
import type {AcquireOptions, AcquireResult, AuditFilter, Collection, Filter, Locks, StateDump, StateInfo, StateStore, StateTx} from './store.js'
import {applyChange, matches, sortById, stamp} from './memory-ops.js'
import {conflict, schemaTooNew, storeBusy, storeNotEmpty} from './errors.js'
import {acquireLockFile, breakStaleLock, isStale, lockContent, readLockFile, removeLockIfOwned, tryCreateLock} from './file-lock.js'
import {filterAudit} from './audit-filter.js'
import {TxGate} from './tx-gate.js'
import {AutoCollections, type CollectionReads} from './auto-collections.js'
import {OdoopsError, ExitCode} from '../errors.js'
import {writeFileAtomicSync} from '../fs/atomic-write.js'

/**
 * The embedded store: a directory of JSON files.
 *
 * Layout: `meta.json` names the current generation of every collection file
 * (`<collection>.<generation>.json`) and holds the sequences. A write transaction takes
 * the store lock (`.lock`), writes each changed collection to a new generation file
 * (write, fsync), then replaces `meta.json` (write temp, fsync, rename, fsync dir). The
 * rename is the commit point: a crash before it leaves the old meta naming old files,
 * a crash after it the new ones, so readers only ever see a whole state. Old generation
 * files are removed after the commit. `audit.jsonl` is append-only (one JSON object per
 * line, written under the lock; a torn last line is ignored). Job locks live in `locks/`.
 */
export const LOCAL_SCHEMA_VERSION = 1

interface Meta {
  format: 'odoops-local-state'
  schemaVersion: number
  generations: Partial<Record<CollectionName, number>>
  sequences: Record<string, number>
  auditSeq: number
}

type AnyRecord = {id: string; createdAt?: string; updatedAt?: string}
type RecordMap = Record<string, AnyRecord>

const STORE_LOCK_TTL_MS = 60_000
const STORE_LOCK_TIMEOUT_MS = 30_000

export class LocalStore extends AutoCollections implements StateStore {
  readonly backend = 'local' as const
  readonly audit: StateStore['audit']
  readonly locks: Locks
  private readonly cache = new Map<string, RecordMap>()
  private readonly owner = `odoops-${process.pid}-${randomBytes(3).toString('hex')}`
  private readonly gate = new TxGate()

  private constructor(readonly location: string) {
    super()
    this.audit = {append: (event) => this.appendAudit(event), list: (filter) => this.listAudit(filter)}
    this.locks = new LocalLocks(join(location, 'locks'))
  }

  /** Opens (creating when absent) the store in `dir`. Refuses a store written by a newer schema. */
  static open(dir: string): LocalStore {
    mkdirSync(join(dir, 'locks'), {recursive: true})
    const store = new LocalStore(dir)
    const meta = store.readMeta()
    if (meta.schemaVersion > LOCAL_SCHEMA_VERSION) throw schemaTooNew(meta.schemaVersion, LOCAL_SCHEMA_VERSION, dir)
    return store
  }

  async nextSequence(name: string): Promise<number> {
    return this.transaction((tx) => tx.nextSequence(name))
  }

  async transaction<R>(fn: (tx: StateTx) => Promise<R>): Promise<R> {
    return this.gate.run(() => this.lockedTransaction(fn))
  }

  private async lockedTransaction<R>(fn: (tx: StateTx) => Promise<R>): Promise<R> {
    const lockPath = join(this.location, '.lock')
    const got = await acquireLockFile(lockPath, this.owner, {ttlMs: STORE_LOCK_TTL_MS, timeoutMs: STORE_LOCK_TIMEOUT_MS})
    if (!got.ok) throw storeBusy(this.location, got.holder ? `pid ${got.holder.pid} on ${got.holder.machine}` : 'another process')
    try {
      const meta = this.readMeta()
      this.checkSchema(meta)
      const tx = new LocalTx(this, meta)
      const result = await fn(tx.view())
      this.commit(meta, tx)
      return result
    } finally {
      removeLockIfOwned(lockPath, this.owner)
    }
  }

  async info(): Promise<StateInfo> {
    const meta = this.readMeta()
    const counts = {} as StateInfo['counts']
    for (const name of COLLECTIONS) counts[name] = Object.keys(this.readCollection(name, meta)).length
    counts.auditEvents = this.readAudit().length
    return {backend: 'local', location: this.location, schemaVersion: meta.schemaVersion, latestSchemaVersion: LOCAL_SCHEMA_VERSION, counts}
  }

  async export(): Promise<StateDump> {
    const meta = this.readMeta()
    const collections = {} as StateDump['collections']
    for (const name of COLLECTIONS) {
      ;(collections as Record<string, unknown>)[name] = sortById(Object.values(this.readCollection(name, meta)))
    }
    return {
      format: 'odoops-state',
      schemaVersion: meta.schemaVersion,
      exportedAt: new Date().toISOString(),
      collections,
      auditEvents: this.readAudit(),
      sequences: {...meta.sequences},
    }
  }

  /**
   * Import into a store without records or sequences. Audit events already there (e.g. of
   * an earlier failed import) are kept, numbered after the imported ones.
   */
  async import(dump: StateDump): Promise<void> {
    await this.transaction(async (tx) => {
      const meta = this.readMeta()
      const records = COLLECTIONS.reduce((sum, name) => sum + Object.keys(this.readCollection(name, meta)).length, 0)
      if (records > 0 || Object.keys(meta.sequences).length > 0) throw storeNotEmpty(this.location)
      const view = tx as unknown as LocalTxView
      for (const name of COLLECTIONS) {
        // Records come back exactly as exported (their createdAt/updatedAt included).
        for (const record of dump.collections[name] ?? []) view.restore(name, record)
      }
      for (const [name, value] of Object.entries(dump.sequences ?? {})) view.setSequence(name, value)
      const imported = (dump.auditEvents ?? []).map((e, i) => ({...e, seq: e.seq ?? i + 1}))
      const top = imported.reduce((max, e) => Math.max(max, e.seq), 0)
      view.setAudit([...imported, ...this.readAudit().map((e, i) => ({...e, seq: top + i + 1}))])
    })
  }

  async close(): Promise<void> {
    this.cache.clear()
  }

  // ---- internals -------------------------------------------------------------------

  private checkSchema(meta: Meta): void {
    if (meta.schemaVersion > LOCAL_SCHEMA_VERSION) throw schemaTooNew(meta.schemaVersion, LOCAL_SCHEMA_VERSION, this.location)
  }

  readMeta(): Meta {
    try {
      const meta = JSON.parse(readFileSync(join(this.location, 'meta.json'), 'utf8')) as Meta
      if (meta.format !== 'odoops-local-state') throw new Error('not an odoops state directory')
      return meta
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return {format: 'odoops-local-state', schemaVersion: LOCAL_SCHEMA_VERSION, generations: {}, sequences: {}, auditSeq: 0}
      }
      throw new OdoopsError('STATE_CORRUPT', `Cannot read ${join(this.location, 'meta.json')}: ${(error as Error).message}`, {
        exit: ExitCode.USAGE,
        suggestions: ['Point --state at an odoops state directory, or restore it from `odoops state export` output.'],
      })
    }
  }

  /** Reads a collection as of `meta`; retries with a fresh meta if a writer removed the file meanwhile. */
  readCollection(name: CollectionName, meta: Meta): RecordMap {
    const generation = meta.generations[name]
    if (!generation) return {}
    const key = `${name}.${generation}`
    const cached = this.cache.get(key)
    if (cached) return cached
    try {
      const map = JSON.parse(readFileSync(join(this.location, `${key}.json`), 'utf8')) as RecordMap
      this.cache.set(key, map)
      return map
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.readCollection(name, this.readMeta())
      throw error
    }
  }

  private commit(meta: Meta, tx: LocalTx): void {
    if (!tx.dirty()) return
    const next: Meta = {...meta, generations: {...meta.generations}, sequences: {...meta.sequences, ...tx.sequences}}
    const superseded: string[] = []
    for (const [name, map] of tx.changed) {
      const generation = (meta.generations[name] ?? 0) + 1
      writeDurably(join(this.location, `${name}.${generation}.json`), JSON.stringify(map))
      if (meta.generations[name]) superseded.push(`${name}.${meta.generations[name]}.json`)
      next.generations[name] = generation
      this.cache.set(`${name}.${generation}`, map)
    }
    if (tx.replacedAudit) {
      writeDurably(join(this.location, 'audit.jsonl'), tx.replacedAudit.map((e) => JSON.stringify(e) + '\n').join(''))
      next.auditSeq = tx.replacedAudit.reduce((max, e) => Math.max(max, e.seq ?? 0), 0)
    }
    writeDurably(join(this.location, 'meta.json'), JSON.stringify(next, null, 1), true)
    for (const file of superseded) {
      try {
        unlinkSync(join(this.location, file))
      } catch {
        // a reader never depends on it: it re-reads meta on ENOENT
      }
    }
    this.removeOrphans(next)
  }

  /** Generation files a crashed writer left behind (never named by meta). */
  private removeOrphans(meta: Meta): void {
    for (const file of readdirSync(this.location)) {
      const m = /^([A-Za-z]+)\.(\d+)\.json$/.exec(file)
      if (m && Number(m[2]) > (meta.generations[m[1] as CollectionName] ?? 0)) {
        try {
          unlinkSync(join(this.location, file))
        } catch {
          // ignore
        }
      }
    }
  }

  private async appendAudit(event: AuditEvent): Promise<AuditEvent> {
    let stored!: AuditEvent
    await this.transaction(async (tx) => {
      stored = (tx as unknown as LocalTxView).appendAudit(event)
    })
    return stored
  }

  private async listAudit(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    return filterAudit(this.readAudit(), filter)
  }

  readAudit(): AuditEvent[] {
    let text: string
    try {
      text = readFileSync(join(this.location, 'audit.jsonl'), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const events: AuditEvent[] = []
    for (const line of text.split('\n')) {
      if (!line) continue
      try {
        events.push(JSON.parse(line) as AuditEvent)
      } catch {
        // a torn line from a crash mid-append: skipped
      }
    }
    return events
  }

  /** Outside a transaction: the committed generation, read again on every call. */
  protected reads<K extends CollectionName>(name: K): CollectionReads<K> {
    const read = () => this.readCollection(name, this.readMeta()) as unknown as Record<string, CollectionTypes[K]>
    return {
      get: async (id) => structuredCloneOrUndefined(read()[id]),
      list: async (filter) => sortById(Object.values(read()).filter((r) => matches(r, filter)).map((r) => structuredClone(r))),
      count: async (filter) => Object.values(read()).filter((r) => matches(r, filter)).length,
    }
  }
}

function structuredCloneOrUndefined<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : structuredClone(value)
}

interface LocalTxView extends StateTx {
  restore(name: CollectionName, record: AnyRecord): void
  setSequence(name: string, value: number): void
  setAudit(events: AuditEvent[]): void
  appendAudit(event: AuditEvent): AuditEvent
}

/** Pending changes of one transaction, applied to disk by LocalStore.commit. */
class LocalTx {
  readonly changed = new Map<CollectionName, RecordMap>()
  readonly sequences: Record<string, number> = {}
  replacedAudit?: AuditEvent[]
  private auditAppended = false

  constructor(
    private readonly store: LocalStore,
    private readonly meta: Meta,
  ) {}

  dirty(): boolean {
    return this.changed.size > 0 || Object.keys(this.sequences).length > 0 || this.replacedAudit !== undefined || this.auditAppended
  }

  private working(name: CollectionName): RecordMap {
    let map = this.changed.get(name)
    if (!map) {
      map = {...this.store.readCollection(name, this.meta)}
      this.changed.set(name, map)
    }
    return map
  }

  private current(name: CollectionName): RecordMap {
    return this.changed.get(name) ?? this.store.readCollection(name, this.meta)
  }

  view(): LocalTxView {
    const view = {} as Record<string, unknown>
    for (const name of COLLECTIONS) view[name] = this.collection(name)
    view.nextSequence = async (seqName: string) => {
      const value = (this.sequences[seqName] ?? this.meta.sequences[seqName] ?? 0) + 1
      this.sequences[seqName] = value
      return value
    }
    view.restore = (name: CollectionName, record: AnyRecord) => {
      const map = this.working(name)
      if (map[record.id]) throw conflict(name, record.id)
      map[record.id] = structuredClone(record)
    }
    view.setSequence = (seqName: string, value: number) => {
      this.sequences[seqName] = value
    }
    view.setAudit = (events: AuditEvent[]) => {
      this.replacedAudit = events.map((e, i) => ({...e, seq: e.seq ?? i + 1}))
    }
    view.appendAudit = (event: AuditEvent) => {
      const seq = Math.max(this.meta.auditSeq, lastAuditSeq(this.store.location)) + 1
      const stored = {...event, seq}
      appendLine(join(this.store.location, 'audit.jsonl'), JSON.stringify(stored))
      this.meta.auditSeq = seq
      this.auditAppended = true
      return stored
    }
    return view as unknown as LocalTxView
  }

  private collection(name: CollectionName): Collection<AnyRecord> {
    return {
      get: async (id) => structuredCloneOrUndefined(this.current(name)[id]),
      list: async (filter?: Filter<AnyRecord>) => sortById(Object.values(this.current(name)).filter((r) => matches(r, filter)).map((r) => structuredClone(r))),
      count: async (filter?: Filter<AnyRecord>) => Object.values(this.current(name)).filter((r) => matches(r, filter)).length,
      insert: async (record) => {
        const map = this.working(name)
        if (map[record.id]) throw conflict(name, record.id)
        map[record.id] = stamp(structuredClone(record))
        return structuredClone(map[record.id])
      },
      put: async (record) => {
        const map = this.working(name)
        map[record.id] = stamp(structuredClone(record), map[record.id])
        return structuredClone(map[record.id])
      },
      update: async (id, change) => {
        const map = this.working(name)
        const next = applyChange(name, map[id], id, change as Partial<AnyRecord>)
        map[id] = next
        return structuredClone(next)
      },
      delete: async (id) => {
        if (!this.current(name)[id]) return false
        delete this.working(name)[id]
        return true
      },
    }
  }
}

/**
 * A store file (mode 0600), whole and on disk after return. The directory is flushed only
 * when `syncDir`: a commit writes its generation files first and flushes the directory once,
 * with `meta.json`, the commit point.
 */
export function writeDurably(path: string, content: string, syncDir = false): void {
  writeFileAtomicSync(path, content, {mode: 0o600, syncDir})
}

function appendLine(path: string, line: string): void {
  // Start on a fresh line if a crash left a torn one.
  let prefix = ''
  try {
    const size = statSync(path).size
    if (size > 0) {
      const fd = openSync(path, 'r')
      const last = Buffer.alloc(1)
      try {
        readSync(fd, last, 0, 1, size - 1)
      } finally {
        closeSync(fd)
      }
      if (last[0] !== 0x0a) prefix = '\n'
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  appendFileSync(path, prefix + line + '\n', {mode: 0o600})
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Highest seq in the audit file's tail (the meta counter can lag after a crash between append and commit). */
function lastAuditSeq(location: string): number {
  const path = join(location, 'audit.jsonl')
  let size: number
  try {
    size = statSync(path).size
  } catch {
    return 0
  }
  const length = Math.min(size, 65536)
  const buffer = Buffer.alloc(length)
  const fd = openSync(path, 'r')
  try {
    readSync(fd, buffer, 0, length, size - length)
  } finally {
    closeSync(fd)
  }
  const lines = buffer.toString('utf8').split('\n').filter(Boolean).reverse()
  for (const line of lines) {
    try {
      return (JSON.parse(line) as AuditEvent).seq ?? 0
    } catch {
      // torn or cut at the window start
    }
  }
  return 0
}

/** How long an existing but still empty lock file is read again for its holder (isStale breaks it after 2 s). */
const EMPTY_LOCK_WAIT_MS = 1000

/** Job locks: one file per key under `locks/`, with owner PID and lease expiry. */
class LocalLocks implements Locks {
  constructor(private readonly dir: string) {}

  private path(key: string): string {
    return join(this.dir, encodeURIComponent(key) + '.lock')
  }

  async acquire(key: string, options: AcquireOptions): Promise<AcquireResult> {
    const path = this.path(key)
    // A lock file is created empty and written just after (O_EXCL, then write): one read
    // between the two finds no holder. Read again shortly rather than report an unknown one
    // (seen under load: two schedule daemons firing the same minute).
    const deadline = Date.now() + EMPTY_LOCK_WAIT_MS
    for (let attempt = 0; attempt < 3 || Date.now() < deadline; attempt++) {
      const content = lockContent(options.owner, options.ttlMs)
      if (tryCreateLock(path, content)) return {acquired: true, lock: {key, ...content}}
      const holder = readLockFile(path)
      if (isStale(path, holder)) {
        breakStaleLock(path, holder)
        continue
      }
      if (holder) return {acquired: false, heldBy: {key, ...holder}}
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const holder = readLockFile(path)
    return {acquired: false, heldBy: {key, ...(holder ?? lockContent('unknown', 0))}}
  }

  async renew(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const path = this.path(key)
    const holder = readLockFile(path)
    if (!holder || holder.owner !== owner) return false
    writeDurably(path, JSON.stringify({...holder, expiresAt: new Date(Date.now() + ttlMs).toISOString()}))
    return true
  }

  async release(key: string, owner: string): Promise<void> {
    const path = this.path(key)
    const holder = readLockFile(path)
    if (holder && holder.owner === owner) {
      try {
        unlinkSync(path)
      } catch {
        // already gone
      }
    }
  }

  async list(): Promise<LockInfo[]> {
    const out: LockInfo[] = []
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith('.lock')) continue
      const path = join(this.dir, file)
      const holder = readLockFile(path)
      if (holder && !isStale(path, holder)) out.push({key: decodeURIComponent(file.slice(0, -5)), ...holder})
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : 1))
  }
}
