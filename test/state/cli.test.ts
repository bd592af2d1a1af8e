// `odoops state …` end to end: the built CLI (npm run build first), real stores.
import {expect} from 'chai'
import {execa} from 'execa'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BIN, isolatedEnv, runCli} from '../helpers/cli.js'
import {freshDatabase, pgCluster} from '../helpers/pg-cluster.js'
import {LocalStore} from '../../src/lib/state/local-store.js'
import {PG_SCHEMA_VERSION} from '../../src/lib/state/pg-migrations.js'

/** Every file under `dir` with its content, to prove nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const entry of readdirSync(dir, {withFileTypes: true, recursive: true})) {
    if (entry.isFile()) out[join(entry.parentPath, entry.name)] = readFileSync(join(entry.parentPath, entry.name), 'utf8')
  }
  return out
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const dbName = (url: string) => new URL(url).pathname.slice(1)

describe('odoops state (e2e)', function () {
  this.timeout(120_000)

  it('state info --json on the embedded store', async () => {
    const env = isolatedEnv()
    const result = await runCli(['state', 'info', '--json'], {env})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.json).to.deep.include({backend: 'local', location: join(env.ODOOPS_DATA_DIR, 'state'), schemaVersion: 1, latestSchemaVersion: 1})
    expect(result.json.counts.hosts).to.equal(0)
  })

  it('state export from local, then state import into postgres: the same state info counts', async () => {
    const env = isolatedEnv()
    const local = LocalStore.open(join(env.ODOOPS_DATA_DIR, 'state'))
    for (let i = 0; i < 3; i++) await local.hosts.insert({id: `h${i}`, address: `10.77.${i}.2`, port: 22, user: 'root'})
    await local.tenants.insert({id: 'acme', host: 'h1', mode: 'shared', domain: 'acme.example.com', series: '17.0', database: 'acme', state: 'active'})
    await local.secrets.insert({id: 'acme/admin', value: 'v1:not-plain'})
    await local.nextSequence('invoice')
    await local.audit.append({time: new Date().toISOString(), user: 'u', machine: 'm', command: 'host add', args: [], outcome: 'ok', exitCode: 0, durationMs: 1})
    await local.close()

    // To stdout (as `odoops state export > file`), and under --json (the dump is the document).
    const exported = await runCli(['state', 'export'], {env})
    expect(exported.code, exported.stderr).to.equal(0)
    expect(exported.json.format).to.equal('odoops-state')
    const asJson = await runCli(['state', 'export', '--json'], {env})
    expect({...asJson.json, exportedAt: 0}).to.deep.equal({...exported.json, exportedAt: 0})
    expect(asJson.json.collections.secrets[0].value, 'not redacted: the dump must stay importable').to.equal('v1:not-plain')
    const file = join(env.ODOOPS_DATA_DIR, '..', 'dump.json')
    writeFileSync(file, exported.stdout)
    const toFile = await runCli(['state', 'export', '--output', `${file}.2`, '--json'], {env})
    expect(toFile.json).to.deep.equal({output: `${file}.2`, counts: {...toFile.json.counts, hosts: 3, secrets: 1, auditEvents: 1}, warnings: []})
    expect({...JSON.parse(readFileSync(`${file}.2`, 'utf8')), exportedAt: 0}).to.deep.equal({...exported.json, exportedAt: 0})

    const url = await freshDatabase('cli_import')
    const imported = await runCli(['state', 'import', file, '--state', url, '--json'], {env})
    expect(imported.code, imported.stderr).to.equal(0)
    expect(imported.json.imported).to.include({hosts: 3, tenants: 1, secrets: 1, auditEvents: 1, sequences: 1})

    const before = await runCli(['state', 'info', '--json'], {env})
    const after = await runCli(['state', 'info', '--json', '--state', url], {env})
    expect(after.json.backend).to.equal('postgres')
    const {auditEvents: sourceEvents, ...sourceCounts} = before.json.counts
    const {auditEvents: targetEvents, ...targetCounts} = after.json.counts
    expect(targetCounts).to.deep.equal(sourceCounts)
    expect(targetCounts).to.include({hosts: 3, tenants: 1, secrets: 1})
    // The import itself is recorded in the target's audit trail, after the imported events.
    expect(targetEvents).to.equal(sourceEvents + 1)

    const again = await runCli(['state', 'import', file, '--state', url, '--json'], {env})
    expect(again.code).to.equal(2)
    expect(again.json.error.code).to.equal('STATE_NOT_EMPTY')
  })

  it('state import of a file that is not a dump: exit 2, and the store can still take the right file', async () => {
    const env = isolatedEnv()
    const target = join(env.ODOOPS_DATA_DIR, 'target')
    const bad = join(env.ODOOPS_DATA_DIR, '..', 'bad.json')
    writeFileSync(bad, JSON.stringify({format: 'odoops-state', schemaVersion: 1, collections: {hosts: [{address: 'x'}]}}))
    const result = await runCli(['state', 'import', bad, '--state', target, '--json'], {env})
    expect(result.code).to.equal(2)
    expect(result.json.error.code).to.equal('STATE_DUMP_INVALID')
    expect(result.json.error.message).to.contain('collections.hosts[0]')
    const good = join(env.ODOOPS_DATA_DIR, '..', 'good.json')
    writeFileSync(good, JSON.stringify({format: 'odoops-state', schemaVersion: 1, collections: {hosts: [{id: 'h1', address: 'x', port: 22, user: 'root'}]}}))
    const retry = await runCli(['state', 'import', good, '--state', target, '--json'], {env})
    expect(retry.code, retry.stdout).to.equal(0)
  })

  it('a --state URL it cannot use: exit 2, STATE_URL_INVALID', async () => {
    const env = isolatedEnv()
    const result = await runCli(['state', 'info', '--state', 'ftp://x', '--json'], {env})
    expect(result.code).to.equal(2)
    expect(result.json.error.code).to.equal('STATE_URL_INVALID')
  })

  it('a bare word that names no directory (a misplaced value) is refused, creating nothing', async () => {
    const env = isolatedEnv()
    const cwd = mkdtempSync(join(tmpdir(), 'odoops-cwd-'))
    const result = await execa('node', [BIN, 'state', 'info', '--state', 'failed', '--json'], {cwd, env: {...env, NO_COLOR: '1'}, reject: false, stdin: 'ignore'})
    expect(result.exitCode).to.equal(2)
    expect(JSON.parse(result.stdout).error.suggestions.join(' ')).to.include('--state ./failed')
    expect(readdirSync(cwd)).to.deep.equal([])
  })

  it('unreachable PostgreSQL: exit 2, the password never shown, nothing created', async () => {
    const env = isolatedEnv()
    const url = `postgres://odoops:Sup3r-Secret-pw@127.0.0.1:${await closedPort()}/odoops`
    for (const args of [['state', 'migrate'], ['state', 'info', '--json']]) {
      const result = await runCli([...args, '--state', url], {env})
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.stdout + result.stderr).to.contain('STATE_UNREACHABLE')
      expect(result.stdout + result.stderr).to.contain('127.0.0.1')
      expect(result.stdout + result.stderr).to.not.contain('Sup3r-Secret-pw')
    }
    expect(existsSync(join(env.ODOOPS_DATA_DIR, 'state'))).to.equal(false)
  })

  it('a local store written by a newer schema: exit 2, STATE_SCHEMA_NEWER, files unchanged', async () => {
    const env = isolatedEnv()
    const dir = join(env.ODOOPS_DATA_DIR, 'state')
    const store = LocalStore.open(dir)
    await store.hosts.insert({id: 'h1', address: 'a', port: 22, user: 'root'})
    await store.close()
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as {schemaVersion: number}
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({...meta, schemaVersion: 99}))
    mkdirSync(join(dir, 'locks'), {recursive: true})
    const before = snapshot(dir)
    for (const args of [['state', 'info', '--json'], ['state', 'migrate', '--json'], ['audit', 'list', '--json']]) {
      const result = await runCli(args, {env})
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.json.error.code).to.equal('STATE_SCHEMA_NEWER')
    }
    expect(snapshot(dir)).to.deep.equal(before)
  })

  it('a postgres store written by a newer schema: exit 2, STATE_SCHEMA_NEWER, nothing changed', async () => {
    const env = isolatedEnv()
    const url = await freshDatabase('cli_newer')
    const created = await runCli(['state', 'info', '--json', '--state', url], {env})
    expect(created.code, created.stderr).to.equal(0)
    const cluster = await pgCluster()
    await cluster.query(dbName(url), 'UPDATE odoops_schema SET version = 99')
    const events = async () => (await cluster.query(dbName(url), 'SELECT count(*)::int AS n FROM audit_events')).rows[0].n as number
    const eventsBefore = await events()
    for (const args of [['state', 'info', '--json'], ['state', 'migrate', '--json']]) {
      const result = await runCli([...args, '--state', url], {env})
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.json.error.code).to.equal('STATE_SCHEMA_NEWER')
    }
    expect((await cluster.query(dbName(url), 'SELECT version FROM odoops_schema')).rows[0].version).to.equal(99)
    expect(await events()).to.equal(eventsBefore)
  })

  it('state migrate on a current store reports from → to and is audited', async () => {
    const env = isolatedEnv()
    const url = await freshDatabase('cli_migrate')
    const result = await runCli(['state', 'migrate', '--json', '--state', url], {env})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.json).to.deep.include({backend: 'postgres', from: PG_SCHEMA_VERSION, to: PG_SCHEMA_VERSION, applied: []})
    const audit = await runCli(['audit', 'list', '--json', '--state', url], {env})
    expect(audit.json.events.map((e: {command: string}) => e.command)).to.deep.equal(['state:migrate'])
  })
})
