// PostgreSQL-only behaviour: schema versions and migrations, connection failures.
import {expect} from 'chai'
import {createServer, type AddressInfo, type Socket} from 'node:net'
import {PostgresStore} from '../../src/lib/state/postgres-store.js'
import {COLLECTION_TABLES, MIGRATIONS, PG_SCHEMA_VERSION, type Migration} from '../../src/lib/state/pg-migrations.js'
import {COLLECTIONS} from '../../src/lib/state/records.js'
import {freshDatabase, pgCluster} from '../helpers/pg-cluster.js'
import {rejectsWith} from './backends.js'

const dbName = (url: string) => new URL(url).pathname.slice(1)

const withExtra = (statements: string[]): Migration[] => [...MIGRATIONS, {version: PG_SCHEMA_VERSION + 1, description: 'test', statements}]

async function tables(url: string): Promise<string[]> {
  const cluster = await pgCluster()
  const rows = await cluster.query(dbName(url), `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
  return rows.rows.map((r) => r.tablename as string)
}

async function schemaVersion(url: string): Promise<number> {
  const cluster = await pgCluster()
  return (await cluster.query(dbName(url), 'SELECT version FROM odoops_schema')).rows[0].version as number
}

describe('postgres store: schema and connection', function () {
  this.timeout(60_000)
  const opened: PostgresStore[] = []
  const open = async (url: string, options: Parameters<typeof PostgresStore.open>[1] = {requireCurrentSchema: true}) => {
    const store = await PostgresStore.open(url, options)
    opened.push(store)
    return store
  }
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close()
  })

  it('creates the whole schema in an empty database, at the latest version', async () => {
    const url = await freshDatabase('schema')
    expect(await tables(url)).to.deep.equal([])
    await open(url)
    expect(await schemaVersion(url)).to.equal(PG_SCHEMA_VERSION)
    const names = await tables(url)
    for (const name of COLLECTIONS) expect(names).to.include(COLLECTION_TABLES[name])
    expect(names).to.include.members(['odoops_schema', 'sequences', 'audit_events', 'locks'])
  })

  it('refuses an outdated schema with a suggestion, unless asked not to; migrate brings it up to date', async () => {
    const url = await freshDatabase('outdated')
    await open(url)
    const next = withExtra(['CREATE TABLE extra_things (id text PRIMARY KEY)'])
    const error = await rejectsWith(open(url, {requireCurrentSchema: true, migrations: next}), 'STATE_SCHEMA_OUTDATED')
    expect(error.exit).to.equal(2)
    expect((error as unknown as {suggestions: string[]}).suggestions.join(' ')).to.contain('odoops state migrate')
    expect(await tables(url)).to.not.include('extra_things')

    const store = await open(url, {requireCurrentSchema: false, migrations: next})
    expect((await store.info()).schemaVersion).to.equal(PG_SCHEMA_VERSION)
    expect(await store.migrate()).to.deep.equal({from: PG_SCHEMA_VERSION, to: PG_SCHEMA_VERSION + 1, applied: [PG_SCHEMA_VERSION + 1]})
    expect(await tables(url)).to.include('extra_things')
    expect(await store.migrate()).to.deep.equal({from: PG_SCHEMA_VERSION + 1, to: PG_SCHEMA_VERSION + 1, applied: []})
    await open(url, {requireCurrentSchema: true, migrations: next})
    // The odoops of before the upgrade now meets a newer schema.
    await rejectsWith(open(url), 'STATE_SCHEMA_NEWER')
  })

  it('two processes migrating at once: one applies, the other finds nothing to do', async () => {
    const url = await freshDatabase('race')
    await open(url)
    // pg_sleep widens the window: without the advisory lock both would try to create the table.
    const next = withExtra(['SELECT pg_sleep(0.3)', 'CREATE TABLE raced (id text)'])
    const [a, b] = await Promise.all([open(url, {requireCurrentSchema: false, migrations: next}), open(url, {requireCurrentSchema: false, migrations: next})])
    const results = await Promise.all([a.migrate(), b.migrate()])
    expect(results.map((r) => r.applied.length).sort()).to.deep.equal([0, 1])
    expect(await schemaVersion(url)).to.equal(PG_SCHEMA_VERSION + 1)
  })

  it('a failing migration changes nothing', async () => {
    const url = await freshDatabase('failing')
    await open(url)
    const store = await open(url, {requireCurrentSchema: false, migrations: withExtra(['CREATE TABLE half_done (id text)', 'SELECT no_such_function()'])})
    try {
      await store.migrate()
      expect.fail('the migration should fail')
    } catch (error) {
      expect((error as Error).message).to.match(/no_such_function/)
    }
    expect(await schemaVersion(url)).to.equal(PG_SCHEMA_VERSION)
    expect(await tables(url)).to.not.include('half_done')
  })

  it('a missing database or an unknown role is a clear exit-2 error', async () => {
    const cluster = await pgCluster()
    const missing = await rejectsWith(open(cluster.url('no_such_db')), 'STATE_DATABASE_MISSING')
    expect(missing.exit).to.equal(2)
    const role = `postgres://nobody:s3cr3t-pw@127.0.0.1:${cluster.port}/postgres`
    const auth = await rejectsWith(open(role), 'STATE_AUTH_FAILED')
    expect(auth.exit).to.equal(2)
    expect(auth.message).to.contain('postgres://nobody:********@127.0.0.1')
    expect(auth.message).to.not.contain('s3cr3t-pw')
  })

  it('a server that never answers fails after the 5 s connect timeout, not never', async () => {
    // Accepts the TCP connection and then stays silent, like a firewall that swallows packets.
    const sockets: Socket[] = []
    const silent = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const {port} = silent.address() as AddressInfo
    try {
      const started = Date.now()
      const error = await rejectsWith(open(`postgres://odoops:pw-unused@127.0.0.1:${port}/odoops`), 'STATE_UNREACHABLE')
      expect(error.exit).to.equal(2)
      expect(error.message).to.contain('no answer within 5 s')
      expect(Date.now() - started).to.be.within(4000, 12_000)
    } finally {
      for (const socket of sockets) socket.destroy()
      silent.close()
    }
  })
})
