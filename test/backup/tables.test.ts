import {expect} from 'chai'
import {execa} from 'execa'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {blobKey} from '../../src/lib/backup/blobs/layout.js'
import type {TableSegment} from '../../src/lib/backup/manifest.js'
import {pruneBackups} from '../../src/lib/backup/prune.js'
import {backupSource} from '../../src/lib/backup/restore-source.js'
import {connectHost} from '../../src/lib/hosts/connect.js'
import {createOdooDatabase} from '../../src/lib/remote/postgres-admin.js'
import {runCli} from '../helpers/cli.js'
import {flipByte} from '../helpers/corrupt.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {sshArgs} from '../helpers/sandbox.js'
import {withStore} from '../helpers/store.js'
import {sandboxScript, tenantWithAttachments} from '../helpers/tenant-with-data.js'

interface RunBackup {
  id: string
  tables?: {count: number; bytes: number; sent: number; sentBytes: number}
}

/**
 * Large tables stored by content (format 3) on a real sandbox tenant (fixture Odoo), with the
 * threshold lowered to 1 MiB: the table's rows leave the dump for a blob of the pool; a run
 * after no change to it sends nothing of it (the host hashes it and the blob is reused), a run
 * after a change sends it again; restore, verify and the Odoo-zip export put the rows back,
 * byte for byte (tabs, backslashes, newlines, NULLs, arrays, time zones), with its index, its
 * foreign key and its sequence; pruning keeps exactly the table blobs kept backups need; a
 * corrupted table blob fails verify and restore, naming it.
 */
describe('backup: large tables stored by content @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  const tag = randomBytes(3).toString('hex')
  const slug = `tb-${tag}`
  const domain = `${slug}.tables.example.test`
  const backupsDir = () => join(env.ODOOPS_DATA_DIR, 'backups')
  const manifestOf = (id: string) => JSON.parse(readFileSync(join(backupsDir(), slug, id, 'manifest.json'), 'utf8'))
  const tablesOf = (id: string): TableSegment[] => manifestOf(id).odoops.tables ?? []
  const bigOf = (id: string) => tablesOf(id).find((t) => t.table === 'public.big_rows')
  const psql = (db: string, sql: string) => `runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d '${db}' -c "${sql}"`
  /** Everything about the table that a restore must give back: its rows as text, its index, its sequence, its foreign key. */
  const fingerprint = async (db: string) =>
    sandboxScript(a.sandbox, [
      `cd /`,
      psql(db, "SET TimeZone = 'UTC'; SELECT count(*), md5(string_agg(b::text, E'\\\\n' ORDER BY id)) FROM big_rows b"),
      psql(db, "SELECT indexname FROM pg_indexes WHERE tablename = 'big_rows' ORDER BY 1"),
      psql(db, "SELECT last_value FROM big_rows_id_seq"),
      psql(db, "SELECT conname FROM pg_constraint WHERE conrelid = 'big_refs'::regclass AND contype = 'f'"),
      psql(db, "SELECT count(*), md5(string_agg(noise, '' ORDER BY id)) FROM mid_rows"),
    ])
  const backup = async (): Promise<RunBackup> => {
    const run = await runCli(['backup', 'run', slug, '--json'], {env, timeoutMs: 240_000})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    return run.json.results[0].backup as RunBackup
  }
  /** Loads a backup's database (as restore and move do) into a new database on the host. */
  const restoreInto = async (id: string, db: string) =>
    withStore(env, async (store) => {
      const conn = await connectHost(store, a.host)
      // The tenant's own role, which owns its database.
      const role = (await sandboxScript(a.sandbox, [`cd / && ${psql('postgres', `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${domain}'`)}`])).trim()
      await createOdooDatabase(conn, db, role)
      const source = await backupSource({store, dataDir: env.ODOOPS_DATA_DIR}, id)
      await source.loadDatabase(conn, db, role)
    })
  const dropDb = (db: string) => sandboxScript(a.sandbox, [`cd / && runuser -u postgres -- dropdb --if-exists '${db}'`])
  let first: RunBackup
  let second: RunBackup
  let third: RunBackup

  before(async function () {
    a = await preparedHostFor(this, 300_000)
    this.timeout(600_000)
    env = {...a.env, ODOOPS_BACKUP_LARGE_TABLE_MB: '1'}
    await tenantWithAttachments(a, slug, domain, {tag: 'tb', count: 3, bytes: 5000})
    // About 5 MB of rows whose COPY text needs escaping, an index, a sequence, and a small table referring to it.
    await sandboxScript(a.sandbox, [
      `cat > /tmp/${tag}-big.sql <<'SQL'`,
      `CREATE TABLE big_rows (id bigserial PRIMARY KEY, label varchar NOT NULL, body text, amount double precision, at timestamptz, flags int[]);`,
      `CREATE INDEX big_rows_label ON big_rows (label);`,
      `INSERT INTO big_rows (label, body, amount, at, flags) SELECT 'row ' || g, repeat(md5(g::text), 30) || E'\\ttab\\\\back\\nnewline \u00fc\u20ac', g / 3.0, timestamptz '2026-01-01 12:00+02' - g * interval '1 minute', ARRAY[g, g + 1] FROM generate_series(1, 5000) g;`,
      `INSERT INTO big_rows (label, body) VALUES ('nulls', NULL);`,
      `CREATE TABLE big_refs (id serial PRIMARY KEY, row_id bigint REFERENCES big_rows (id));`,
      `INSERT INTO big_refs (row_id) VALUES (1), (5000);`,
      // Below the threshold, in the dump: enough poorly compressible rows that the dump outgrows a pipe's buffer.
      `CREATE TABLE mid_rows AS SELECT g AS id, (SELECT string_agg(md5(random()::text || s || g), '') FROM generate_series(1, 20) s) AS noise FROM generate_series(1, 800) g;`,
      `ANALYZE big_rows;`,
      `SQL`,
      `cd /`,
      `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d '${domain}' -f /tmp/${tag}-big.sql`,
      `rm -f /tmp/${tag}-big.sql`,
      // The write counters are flushed to the statistics a moment after the commit.
      `sleep 2`,
    ])
  })

  it('stores the table\'s rows as a blob, not in the dump; an unchanged table is reused, a changed one sent again', async function () {
    this.timeout(600_000)
    first = await backup()
    expect(manifestOf(first.id).odoops.format).to.equal(3)
    const big = bigOf(first.id)
    expect(big, JSON.stringify(tablesOf(first.id))).to.not.equal(undefined)
    expect(big!.columns).to.deep.equal(['id', 'label', 'body', 'amount', 'at', 'flags'])
    expect(big!.contentBytes).to.be.greaterThan(4_000_000)
    expect(existsSync(join(backupsDir(), blobKey(big!.blob)))).to.equal(true)
    expect(first.tables!.count).to.equal(tablesOf(first.id).length)
    expect(first.tables!.sent).to.equal(first.tables!.count)
    // The dump holds the table's definition, not its rows (its table of contents, read with pg_restore -l here).
    const contents = (await execa('bash', ['-c', `zstd -d -c < '${join(backupsDir(), slug, first.id, 'database.dump.zst')}' | pg_restore -l`])).stdout
    expect(contents).to.match(/TABLE public big_rows /).and.to.match(/TABLE DATA public mid_rows /).and.to.match(/SEQUENCE SET public big_rows_id_seq /)
    expect(contents).to.not.match(/TABLE DATA public big_rows /)

    second = await backup()
    expect(second.tables).to.include({sent: 0, sentBytes: 0})
    expect(bigOf(second.id)!.blob).to.equal(big!.blob)

    await sandboxScript(a.sandbox, [`cd / && ${psql(domain, "UPDATE big_rows SET label = 'changed' WHERE id = 7")}`, 'sleep 2'])
    third = await backup()
    expect(third.tables!.sent).to.be.at.least(1)
    expect(bigOf(third.id)!.blob).to.not.equal(big!.blob)
    expect(bigOf(third.id)!.content).to.not.equal(big!.content)
  })

  it('restores the rows byte for byte, with the table\'s index, sequence and foreign key', async function () {
    this.timeout(600_000)
    const db = `tb_restore_${tag}`
    try {
      await restoreInto(third.id, db)
      const restored = await fingerprint(db)
      expect(restored).to.equal(await fingerprint(domain))
      expect(restored).to.match(/^5001\|/)
      expect(restored).to.include('big_rows_label')
      expect(restored).to.include('big_refs_row_id_fkey')
    } finally {
      await dropDb(db)
    }
    const verified = await runCli(['backup', 'verify', third.id, '--json'], {env, timeoutMs: 300_000})
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0)
    expect(verified.json.results[0].result.checks.find((c: {name: string}) => c.name === 'restore').detail).to.match(/rows of \d+ large table\(s\) \(.*public\.big_rows/)
  })

  it('exports an Odoo zip whose dump.sql restores the rows as Odoo\'s database manager does', async function () {
    this.timeout(600_000)
    const zip = join(mkdtempSync(join(tmpdir(), 'odoops-tables-')), 'export.zip')
    const exported = await runCli(['backup', 'export', third.id, '--format', 'odoo-zip', '--output', zip, '--json'], {env, timeoutMs: 240_000})
    expect(exported.code, exported.stdout + exported.stderr).to.equal(0)
    const upload = await execa('ssh', [...sshArgs(a.sandbox), `cat > /tmp/${tag}.zip`], {input: readFileSync(zip), reject: false})
    expect(upload.exitCode, upload.stderr).to.equal(0)
    const db = `tb_zip_${tag}`
    try {
      await sandboxScript(a.sandbox, [
        `cd / && rm -rf /tmp/${tag}-zip && mkdir /tmp/${tag}-zip`,
        `python3 -c 'import zipfile; zipfile.ZipFile("/tmp/${tag}.zip").extract("dump.sql", "/tmp/${tag}-zip")' && chmod -R a+rX /tmp/${tag}-zip`,
        `runuser -u postgres -- psql -X -q -c "CREATE DATABASE \\"${db}\\" ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0"`,
        `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d '${db}' -f /tmp/${tag}-zip/dump.sql > /dev/null`,
      ])
      expect(await fingerprint(db)).to.equal(await fingerprint(domain))
    } finally {
      await dropDb(db)
      await sandboxScript(a.sandbox, [`rm -rf /tmp/${tag}-zip /tmp/${tag}.zip`])
    }
  })

  it('pruning keeps the table blobs kept backups need and removes the others', async function () {
    this.timeout(600_000)
    const old = bigOf(first.id)!.blob
    const kept = bigOf(third.id)!.blob
    const report = await withStore(env, (store) => pruneBackups({store, dataDir: env.ODOOPS_DATA_DIR}, [slug], {dryRun: false, retention: {defaults: {daily: 1, weekly: 0, monthly: 0}, byPlan: {}, overrides: {}}}))
    expect(report.tenants[0].error, JSON.stringify(report.tenants[0])).to.equal(undefined)
    const left = (await runCli(['backup', 'list', slug, '--json'], {env})).json.backups.map((b: {id: string}) => b.id)
    expect(left).to.deep.equal([third.id])
    expect(existsSync(join(backupsDir(), blobKey(kept))), 'the kept backup\'s table').to.equal(true)
    expect(existsSync(join(backupsDir(), blobKey(old))), 'the pruned backups\' table').to.equal(false)
  })

  it('a corrupted table blob fails verify (naming the backups that need it) and restore', async function () {
    this.timeout(600_000)
    const blob = join(backupsDir(), blobKey(bigOf(third.id)!.blob))
    flipByte(blob)
    try {
      const verified = await runCli(['backup', 'verify', third.id, '--json'], {env, timeoutMs: 300_000})
      expect(verified.code, verified.stdout).to.not.equal(0)
      const result = verified.json.results[0].result
      expect(result.status).to.equal('failed')
      expect(result.reason).to.match(/big_rows/).and.to.include(third.id)
      const db = `tb_bad_${tag}`
      try {
        let failure: unknown
        await restoreInto(third.id, db).catch((error: unknown) => (failure = error))
        expect((failure as {code?: string})?.code).to.equal('BACKUP_BLOB_BAD')
      } finally {
        await dropDb(db)
      }
    } finally {
      flipByte(blob)
    }
  })
})
