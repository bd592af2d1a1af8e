// The store contract: one suite, run against both backends. Whatever passes here behaves
// the same on the embedded store and on PostgreSQL.
import {expect} from 'chai'
import {execa} from 'execa'
import {COLLECTIONS, type AuditEvent, type CollectionName} from '../../src/lib/state/records.js'
import type {Collection, StateStore} from '../../src/lib/state/store.js'
import {BACKENDS, freshLocation, openAt, rejectsWith, sleep, type BackendName} from './backends.js'

type AnyRecord = {id: string; createdAt?: string; updatedAt?: string; [key: string]: unknown}

/** A minimal valid record of each collection. */
function sample(name: CollectionName, id: string, extra: Record<string, unknown> = {}): AnyRecord {
  const base: Record<CollectionName, Record<string, unknown>> = {
    hosts: {address: '10.77.1.2', port: 22, user: 'root'},
    tenants: {host: 'h1', mode: 'shared', domain: `${id}.example.com`, series: '17.0', database: id, state: 'active'},
    backupTargets: {type: 'local', path: '/srv/backups'},
    backups: {tenant: 't1', target: 'b1', status: 'ok'},
    usageSnapshots: {tenant: 't1', date: '2024-05-01', metric: 'users', value: 3},
    plans: {version: 1, kind: 'per-user'},
    invoices: {customer: 'c1', period: '2024-05', status: 'draft'},
    onboardingRuns: {template: 'basic', state: 'running'},
    secrets: {value: 'v1:ciphertext'},
    schedules: {schedule: {version: 1, jobs: []}},
    addonRepos: {source: {kind: 'dir', path: '/srv/addons'}, releases: [], current: 'a'.repeat(64)},
    releases: {series: '17.0', state: 'planned', hosts: []},
  }
  return {id, ...base[name], ...extra}
}

function event(over: Partial<AuditEvent> = {}): AuditEvent {
  return {time: '2024-05-01T10:00:00.000Z', user: 'ann', machine: 'm1', command: 'tenant create', args: [], outcome: 'ok', exitCode: 0, durationMs: 5, ...over}
}

const col = (store: StateStore | Parameters<Parameters<StateStore['transaction']>[0]>[0], name: CollectionName) => store[name] as unknown as Collection<AnyRecord>

const withoutTime = (dump: {exportedAt?: string}) => ({...dump, exportedAt: undefined})

function contract(backend: BackendName): void {
  describe(`state store contract: ${backend}`, function () {
    this.timeout(60_000)
    let store: StateStore
    let location: string
    const opened: StateStore[] = []
    const open = async (where: string) => {
      const s = await openAt(where)
      opened.push(s)
      return s
    }

    beforeEach(async () => {
      location = await freshLocation(backend)
      store = await open(location)
    })
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close()
    })

    it('reports the backend and an empty store', async () => {
      const info = await store.info()
      expect(info.backend).to.equal(backend)
      expect(info.schemaVersion).to.equal(info.latestSchemaVersion)
      expect(Object.values(info.counts).every((n) => n === 0)).to.equal(true)
      expect(Object.keys(info.counts).sort()).to.deep.equal([...COLLECTIONS, 'auditEvents'].sort())
    })

    for (const name of COLLECTIONS) {
      it(`${name}: insert, get, list, put, update, delete, count`, async () => {
        const c = col(store, name)
        const inserted = await c.insert(sample(name, 'a1', {extra: {nested: [1, {deep: true}]}}))
        expect(inserted.createdAt).to.be.a('string')
        expect(inserted.updatedAt).to.equal(inserted.createdAt)
        // Unknown fields are kept as they are.
        expect(await c.get('a1')).to.deep.equal(inserted)
        expect(await c.get('nope')).to.equal(undefined)
        await c.insert(sample(name, 'a2'))
        expect((await c.list()).map((r) => r.id)).to.deep.equal(['a1', 'a2'])
        expect(await c.count()).to.equal(2)

        await sleep(5)
        const replaced = await c.put({...sample(name, 'a1'), createdAt: undefined, note: 'replaced'})
        expect(replaced.createdAt, 'put keeps the first createdAt').to.equal(inserted.createdAt)
        expect(replaced.updatedAt! > inserted.updatedAt!).to.equal(true)
        expect(replaced).to.not.have.property('extra')
        expect(await c.get('a1')).to.deep.equal(replaced)

        await sleep(5)
        const patched = await c.update('a1', {note: 'patched'})
        expect(patched.note).to.equal('patched')
        expect(patched.createdAt).to.equal(inserted.createdAt)
        expect(patched.updatedAt! > replaced.updatedAt!).to.equal(true)
        const viaFn = await c.update('a1', (current) => ({...current, counter: 1}))
        expect(viaFn).to.include({note: 'patched', counter: 1})
        expect(await c.get('a1')).to.deep.equal(viaFn)

        expect(await c.delete('a1')).to.equal(true)
        expect(await c.delete('a1')).to.equal(false)
        expect(await c.get('a1')).to.equal(undefined)
        expect(await c.count()).to.equal(1)
      })
    }

    it('insert of an existing id fails with STATE_CONFLICT and changes nothing', async () => {
      const first = await store.hosts.insert({id: 'h1', address: 'a', port: 22, user: 'root'})
      const error = await rejectsWith(store.hosts.insert({id: 'h1', address: 'b', port: 22, user: 'root'}), 'STATE_CONFLICT')
      expect(error.exit).to.equal(2)
      expect(await store.hosts.get('h1')).to.deep.equal(first)
    })

    it('update of a missing record fails with STATE_NOT_FOUND; changing the id is refused', async () => {
      await rejectsWith(store.hosts.update('ghost', {port: 2222}), 'STATE_NOT_FOUND')
      await store.hosts.insert({id: 'h1', address: 'a', port: 22, user: 'root'})
      await rejectsWith(store.hosts.update('h1', {id: 'h2'}), 'STATE_CONFLICT')
      expect(await store.hosts.get('h2')).to.equal(undefined)
    })

    it('keeps a given createdAt on insert', async () => {
      const r = await store.plans.insert({id: 'p1', version: 1, kind: 'x', createdAt: '2020-01-01T00:00:00.000Z'})
      expect(r.createdAt).to.equal('2020-01-01T00:00:00.000Z')
      expect(r.updatedAt).to.not.equal(r.createdAt)
    })

    it('filters by exact equality of top-level fields, whatever the key order', async () => {
      const t = col(store, 'tenants')
      await t.insert(sample('tenants', 't1', {host: 'h1', tags: ['a', 'b'], limits: {users: 5, disk: 10}, customer: null}))
      await t.insert(sample('tenants', 't2', {host: 'h1', tags: ['a'], limits: {disk: 10, users: 5}}))
      await t.insert(sample('tenants', 't3', {host: 'h2', tags: ['a', 'b', 'c'], limits: {users: 5, disk: 10, cpu: 1}, state: 'stopped'}))
      const ids = async (filter: Record<string, unknown>) => (await t.list(filter)).map((r) => r.id)
      expect(await ids({host: 'h1'})).to.deep.equal(['t1', 't2'])
      expect(await ids({host: 'h1', state: 'active'})).to.deep.equal(['t1', 't2'])
      expect(await ids({host: 'h2', state: 'active'})).to.deep.equal([])
      // Arrays and objects compare whole: no containment, key order irrelevant.
      expect(await ids({tags: ['a']})).to.deep.equal(['t2'])
      expect(await ids({tags: ['b', 'a']})).to.deep.equal([])
      expect(await ids({limits: {disk: 10, users: 5}})).to.deep.equal(['t1', 't2'])
      expect(await ids({customer: null})).to.deep.equal(['t1'])
      expect(await ids({host: undefined})).to.deep.equal(['t1', 't2', 't3'])
      expect(await ids({nosuchfield: 'x'})).to.deep.equal([])
      expect(await t.count({host: 'h1'})).to.equal(2)
      expect(await t.count({tags: ['a', 'b']})).to.equal(1)
    })

    it('lists in byte order of id', async () => {
      const ids = ['b', 'a', 'B', 'a-1', 'a_1', 'Z', '10', '9', 'a.b', 'é', 'ä', '~']
      for (const id of ids) await store.plans.insert({id, version: 1, kind: 'k'})
      const expected = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
      expect((await store.plans.list()).map((r) => r.id)).to.deep.equal(expected)
    })

    it('a transaction that throws changes nothing, records and sequences alike', async () => {
      await store.hosts.insert({id: 'keep', address: 'a', port: 22, user: 'root'})
      expect(await store.nextSequence('invoice')).to.equal(1)
      const failure = new Error('boom')
      try {
        await store.transaction(async (tx) => {
          await tx.hosts.insert({id: 'new', address: 'a', port: 22, user: 'root'})
          await tx.hosts.update('keep', {port: 2222})
          await tx.hosts.delete('keep')
          expect(await tx.nextSequence('invoice')).to.equal(2)
          expect(await tx.hosts.get('new'), 'a transaction sees its own writes').to.not.equal(undefined)
          throw failure
        })
        expect.fail('should have thrown')
      } catch (error) {
        expect(error).to.equal(failure)
      }
      expect((await store.hosts.list()).map((h) => [h.id, h.port])).to.deep.equal([['keep', 22]])
      expect(await store.nextSequence('invoice'), 'the rolled-back number is handed out again').to.equal(2)
    })

    it('a transaction commits all its changes and returns its result', async () => {
      const result = await store.transaction(async (tx) => {
        const n = await tx.nextSequence('invoice')
        await tx.invoices.insert({id: `INV-${n}`, customer: 'c', period: '2024-05', status: 'draft'})
        await tx.tenants.insert(sample('tenants', 't1') as never)
        // A caught conflict does not spoil the transaction.
        await rejectsWith(tx.invoices.insert({id: `INV-${n}`, customer: 'c', period: '2024-05', status: 'draft'}), 'STATE_CONFLICT')
        return n
      })
      expect(result).to.equal(1)
      expect(await store.invoices.count()).to.equal(1)
      expect(await store.tenants.count()).to.equal(1)
    })

    it('refuses a transaction started inside another; queues concurrent ones', async () => {
      let inner: unknown
      await store.transaction(async () => {
        inner = await store.hosts.insert({id: 'x', address: 'a', port: 22, user: 'root'}).catch((error: unknown) => error)
      })
      expect((inner as Error).message).to.match(/nested/)
      await Promise.all(Array.from({length: 20}, (_, i) => store.backups.insert({id: `b${i}`, tenant: 't', target: 'x', status: 'ok'})))
      expect(await store.backups.count()).to.equal(20)
    })

    it('hands out gapless sequences per name', async () => {
      const a = [await store.nextSequence('a'), await store.nextSequence('a'), await store.nextSequence('a')]
      expect(a).to.deep.equal([1, 2, 3])
      expect(await store.nextSequence('b')).to.equal(1)
      const many = await Promise.all(Array.from({length: 10}, () => store.nextSequence('c')))
      expect([...many].sort((x, y) => x - y)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    })

    it('appends and lists audit events with filters and limit', async () => {
      const e1 = await store.audit.append(event({time: '2024-05-01T10:00:00.000Z', tenant: 't1'}))
      const e2 = await store.audit.append(event({time: '2024-05-02T10:00:00.000Z', tenant: 't2', host: 'h1', command: 'backup run'}))
      const e3 = await store.audit.append(event({time: '2024-05-03T10:00:00.000Z', tenant: 't1', details: {n: 1}}))
      expect(e1.seq).to.be.a('number')
      expect(e2.seq! > e1.seq!).to.equal(true)
      expect(e3.seq! > e2.seq!).to.equal(true)
      const all = await store.audit.list()
      expect(all).to.deep.equal([e1, e2, e3])
      expect((await store.audit.list({tenant: 't1'})).map((e) => e.seq)).to.deep.equal([e1.seq, e3.seq])
      expect((await store.audit.list({host: 'h1'})).map((e) => e.seq)).to.deep.equal([e2.seq])
      expect((await store.audit.list({command: 'backup run'})).map((e) => e.seq)).to.deep.equal([e2.seq])
      expect((await store.audit.list({since: '2024-05-02'})).map((e) => e.seq)).to.deep.equal([e2.seq, e3.seq])
      expect((await store.audit.list({limit: 2})).map((e) => e.seq), 'limit keeps the newest').to.deep.equal([e2.seq, e3.seq])
      expect(await store.audit.list({limit: 0})).to.deep.equal([])
      expect((await store.audit.list({tenant: 't1', limit: 1})).map((e) => e.seq)).to.deep.equal([e3.seq])
    })

    it('job locks: acquire, held by, renew, release', async () => {
      const got = await store.locks.acquire('tenant:acme', {owner: 'job-1', ttlMs: 60_000})
      expect(got.acquired).to.equal(true)
      if (!got.acquired) return
      expect(got.lock).to.include({key: 'tenant:acme', owner: 'job-1', pid: process.pid})
      expect(Date.parse(got.lock.expiresAt) - Date.parse(got.lock.acquiredAt)).to.be.closeTo(60_000, 1000)

      const second = await store.locks.acquire('tenant:acme', {owner: 'job-2', ttlMs: 60_000})
      expect(second.acquired).to.equal(false)
      if (!second.acquired) expect(second.heldBy).to.include({key: 'tenant:acme', owner: 'job-1'})
      expect((await store.locks.acquire('tenant:other', {owner: 'job-2', ttlMs: 60_000})).acquired).to.equal(true)
      expect((await store.locks.list()).map((l) => [l.key, l.owner])).to.deep.equal([
        ['tenant:acme', 'job-1'],
        ['tenant:other', 'job-2'],
      ])

      expect(await store.locks.renew('tenant:acme', 'job-2', 1000)).to.equal(false)
      expect(await store.locks.renew('tenant:acme', 'job-1', 120_000)).to.equal(true)
      const renewed = (await store.locks.list()).find((l) => l.key === 'tenant:acme')!
      expect(Date.parse(renewed.expiresAt) - Date.now()).to.be.greaterThan(100_000)

      await store.locks.release('tenant:acme', 'job-2') // not the holder: no effect
      expect((await store.locks.acquire('tenant:acme', {owner: 'job-3', ttlMs: 1000})).acquired).to.equal(false)
      await store.locks.release('tenant:acme', 'job-1')
      expect((await store.locks.acquire('tenant:acme', {owner: 'job-3', ttlMs: 1000})).acquired).to.equal(true)
    })

    it('job locks: an expired lease is free', async () => {
      expect((await store.locks.acquire('k', {owner: 'a', ttlMs: 50})).acquired).to.equal(true)
      expect((await store.locks.acquire('k', {owner: 'b', ttlMs: 60_000})).acquired).to.equal(false)
      await sleep(150)
      expect((await store.locks.list()).map((l) => l.key)).to.deep.equal([])
      const taken = await store.locks.acquire('k', {owner: 'b', ttlMs: 60_000})
      expect(taken.acquired).to.equal(true)
      expect(await store.locks.renew('k', 'a', 1000), 'the old holder lost it').to.equal(false)
    })

    it('job locks: a lock left by a process that died is free', async () => {
      const child = await execa('node', ['--import', 'tsx', 'test/state/writer.ts', 'lock', location, 'tenant:dead'])
      const result = JSON.parse(child.stdout) as {acquired: boolean}
      expect(result.acquired).to.equal(true)
      const mine = await store.locks.acquire('tenant:dead', {owner: 'me', ttlMs: 60_000})
      expect(mine.acquired).to.equal(true)
    })

    it('export then import into an empty store gives the same state', async () => {
      await store.hosts.insert({id: 'h1', address: '10.77.1.2', port: 22, user: 'root', facts: {os: 'debian', versions: [12]}})
      await store.tenants.insert(sample('tenants', 'acme') as never)
      await store.secrets.insert({id: 'acme/admin', value: 'v1:abc'})
      await store.nextSequence('invoice')
      await store.nextSequence('invoice')
      await store.audit.append(event({tenant: 'acme'}))
      await store.audit.append(event({command: 'host add', host: 'h1'}))
      const dump = await store.export()
      expect(dump.format).to.equal('odoops-state')
      expect(dump.sequences).to.deep.equal({invoice: 2})
      expect(dump.collections.hosts).to.have.length(1)
      expect(dump.auditEvents).to.have.length(2)

      for (const target of BACKENDS) {
        const other = await open(await freshLocation(target))
        await other.import(JSON.parse(JSON.stringify(dump)))
        expect(withoutTime(await other.export()), `into ${target}`).to.deep.equal(withoutTime(dump))
        expect((await other.info()).counts).to.deep.equal((await store.info()).counts)
        // Sequences and audit numbering continue after the imported values.
        expect(await other.nextSequence('invoice')).to.equal(3)
        const next = await other.audit.append(event())
        expect(next.seq! > dump.auditEvents[1].seq!).to.equal(true)
      }
    })

    it('import refuses a store that holds records, and changes nothing', async () => {
      await store.hosts.insert({id: 'h1', address: 'a', port: 22, user: 'root'})
      const before = await store.export()
      const dump = {...before, collections: {...before.collections, hosts: [], plans: [{id: 'p', version: 1, kind: 'k'}]}}
      const error = await rejectsWith(store.import(dump), 'STATE_NOT_EMPTY')
      expect(error.exit).to.equal(2)
      expect(withoutTime(await store.export())).to.deep.equal(withoutTime(before))
    })

    it('import refuses a store whose sequences were used', async () => {
      await store.nextSequence('invoice')
      await rejectsWith(store.import({format: 'odoops-state', schemaVersion: 1, exportedAt: '', collections: {} as never, auditEvents: [], sequences: {}}), 'STATE_NOT_EMPTY')
    })

    it('import into a store holding only audit events keeps them, after the imported ones', async () => {
      const own = await store.audit.append(event({command: 'state import', outcome: 'error', exitCode: 2}))
      const source = await open(await freshLocation(backend))
      await source.hosts.insert({id: 'h1', address: 'a', port: 22, user: 'root'})
      const first = await source.audit.append(event({command: 'host add'}))
      const second = await source.audit.append(event({command: 'tenant create'}))
      await store.import(await source.export())
      const events = await store.audit.list()
      expect(events.map((e) => e.command)).to.deep.equal(['host add', 'tenant create', 'state import'])
      expect(events.slice(0, 2)).to.deep.equal([first, second])
      expect(events[2]).to.deep.equal({...own, seq: second.seq! + 1})
      const next = await store.audit.append(event())
      expect(next.seq).to.equal(second.seq! + 2)
      expect(await store.hosts.count()).to.equal(1)
    })

    it('counts records and audit events in info', async () => {
      await store.hosts.insert({id: 'h1', address: 'a', port: 22, user: 'root'})
      await store.hosts.insert({id: 'h2', address: 'a', port: 22, user: 'root'})
      await store.invoices.insert({id: 'i1', customer: 'c', period: 'p', status: 'draft'})
      await store.audit.append(event())
      const info = await store.info()
      expect(info.counts).to.include({hosts: 2, invoices: 1, tenants: 0, auditEvents: 1})
    })

    it('reopens with the same content', async () => {
      await store.hosts.insert({id: 'h1', address: 'a', port: 22, user: 'root'})
      await store.nextSequence('s')
      const again = await open(location)
      expect(await again.hosts.get('h1')).to.deep.equal(await store.hosts.get('h1'))
      expect(await again.nextSequence('s')).to.equal(2)
    })
  })
}

for (const backend of BACKENDS) contract(backend)
