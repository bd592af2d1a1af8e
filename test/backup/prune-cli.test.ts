import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {BackupEntry} from '../../src/lib/backup/catalog.js'
import {backupId} from '../../src/lib/backup/manifest.js'
import {pruneBackups} from '../../src/lib/backup/prune.js'
import {LocalTarget} from '../../src/lib/backup/targets/local.js'
import type {BackupTarget} from '../../src/lib/backup/targets/target.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {isolatedEnv, runCli} from '../helpers/cli.js'
import {withStore} from '../helpers/store.js'

const NOW = '2026-11-20T12:00:00Z'
const NAMES = ['database.dump.zst', 'filestore.tar.zst', 'manifest.json']

/** A catalog entry and its three files on a local target directory, inserted directly. */
async function plant(store: StateStore, root: string, tenant: string, stamp: string, options: {target?: string; verification?: 'verified' | 'failed'} = {}): Promise<BackupEntry> {
  const started = new Date(stamp)
  const id = backupId(tenant, started, '0000')
  const dir = join(root, tenant, id)
  mkdirSync(dir, {recursive: true})
  const files = NAMES.map((name) => {
    const content = Buffer.from(`${id} ${name}\n`)
    writeFileSync(join(dir, name), content)
    const role = name.startsWith('database') ? 'database' : name.startsWith('filestore') ? 'filestore' : 'manifest'
    return {role, name, codec: 'zstd', size: content.length, sha256: createHash('sha256').update(content).digest('hex')}
  })
  const entry = {
    id,
    tenant,
    target: options.target ?? 'default',
    status: 'complete',
    host: 'h1',
    database: tenant,
    mode: 'shared',
    series: '17.0',
    codec: 'zstd',
    startedAt: started.toISOString(),
    finishedAt: started.toISOString(),
    durationMs: 1000,
    files,
    totalBytes: files.reduce((n, f) => n + f.size, 0),
    pgDumpVersion: '15.8',
    pgServerVersion: '15.8',
    counts: {res_users_active: 1, res_users_share: 0, res_company: 1, ir_attachment: 0, account_move: 0},
    filestore: {files: 0, bytes: 0},
    newestWriteDate: null,
    ...(options.verification ? {verification: {status: options.verification, at: started.toISOString(), durationMs: 1}} : {}),
  } as unknown as BackupEntry
  await store.backups.insert(entry)
  return entry
}

async function tenant(store: StateStore, id: string, state = 'active', plan?: string): Promise<void> {
  await store.tenants.insert({id, host: 'h1', mode: 'shared', domain: `${id}.example.test`, series: '17.0', database: id, state: state as 'active', ...(plan ? {plan} : {})})
}

/** Files under a directory, relative, sorted. */
function filesUnder(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {withFileTypes: true})
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name), base) : [join(dir, e.name).slice(base.length + 1)]))
    .sort()
}

describe('backup prune (CLI, local store and local target)', function () {
  this.timeout(120_000)
  let env: Record<string, string>
  let root: string
  const ids: Record<string, string> = {}
  const catalog = () => withStore(env, async (s) => (await s.backups.list({tenant: 'acme'})).map((b) => b.id).sort())
  const rules = (daily: number) => ['--keep-daily', String(daily), '--keep-weekly', '0', '--keep-monthly', '0', '--now', NOW]
  const RULES = rules(2)

  before(async () => {
    env = isolatedEnv()
    root = join(env.ODOOPS_DATA_DIR, 'backups')
    await withStore(env, async (store) => {
      await tenant(store, 'acme')
      const at = {
        a1: ['2026-11-20T02:00:00Z'],
        a2: ['2026-11-19T14:00:00Z'],
        a3: ['2026-11-19T02:00:00Z'],
        a4: ['2026-11-10T02:00:00Z', 'failed'],
        a5: ['2026-10-01T02:00:00Z', 'verified'],
        a6: ['2026-09-01T02:00:00Z', 'verified'],
      } as const
      for (const [name, [stamp, verification]] of Object.entries(at) as [string, readonly [string, ('verified' | 'failed')?]][]) {
        ids[name] = (await plant(store, root, 'acme', stamp, {verification})).id
      }
    })
  })

  it('--dry-run lists what would go (with the files, manifest first) and what stays with reasons, and deletes nothing', async () => {
    const before = filesUnder(root)
    expect(before).to.have.length(18)
    const run = await runCli(['backup', 'prune', 'acme', '--dry-run', ...RULES, '--json'], {env})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    expect(run.json.dryRun).to.equal(true)
    const [t] = run.json.tenants
    expect(t.rules).to.deep.equal({daily: 2, weekly: 0, monthly: 0, source: 'config + flags'})
    expect(t.kept.map((b: {id: string; reasons: string[]}) => [b.id, b.reasons])).to.deep.equal([
      [ids.a1, ['daily 2026-11-20', 'newest']],
      [ids.a2, ['daily 2026-11-19']],
      [ids.a5, ['newest-verified']],
    ])
    expect(t.deleted.map((b: {id: string}) => b.id)).to.deep.equal([ids.a3, ids.a4, ids.a6])
    expect(t.deleted[0].files).to.deep.equal(['manifest.json', 'database.dump.zst', 'filestore.tar.zst'])
    expect(filesUnder(root)).to.deep.equal(before)
    expect(await catalog()).to.have.length(6)

    const human = await runCli(['backup', 'prune', 'acme', '--dry-run', ...RULES], {env})
    expect(human.code).to.equal(0)
    expect(human.stdout).to.match(/would delete/).and.match(/newest-verified/).and.match(/dry run: nothing was deleted/)
  })

  it('refuses while the tenant\'s backup lock is held (a backup run or verification): nothing deleted, exit 3', async () => {
    await withStore(env, async (store) => {
      const got = await store.locks.acquire('backup:acme', {owner: 'backup of acme by test', ttlMs: 60_000})
      expect(got.acquired).to.equal(true)
      try {
        const run = await runCli(['backup', 'prune', 'acme', ...RULES, '--json'], {env})
        expect(run.code, run.stdout + run.stderr).to.equal(3)
        expect(run.json.tenants[0].error.code).to.equal('BACKUP_BUSY')
        expect(await catalog()).to.have.length(6)
      } finally {
        await store.locks.release('backup:acme', 'backup of acme by test')
      }
    })
  })

  it('deletes exactly the listed backups: their files and catalog entries, nothing else; again deletes nothing', async () => {
    const run = await runCli(['backup', 'prune', 'acme', ...RULES, '--json'], {env})
    expect(run.code, run.stdout + run.stderr).to.equal(0)
    expect(run.json.dryRun).to.equal(false)
    expect(run.json.tenants[0].deleted.map((b: {id: string}) => b.id)).to.deep.equal([ids.a3, ids.a4, ids.a6])
    expect(run.json.tenants[0].failed).to.deep.equal([])
    expect(await catalog()).to.deep.equal([ids.a1, ids.a2, ids.a5].sort())
    expect(filesUnder(root)).to.deep.equal([ids.a1, ids.a2, ids.a5].sort().flatMap((id) => NAMES.map((n) => `acme/${id}/${n}`)))
    expect(existsSync(join(root, 'acme', ids.a3)), 'empty backup directory removed').to.equal(false)

    const again = await runCli(['backup', 'prune', 'acme', ...RULES, '--json'], {env})
    expect(again.code).to.equal(0)
    expect(again.json.deleted).to.equal(0)
    expect(again.json.kept).to.equal(3)

    const audit = await withStore(env, (s) => s.audit.list({command: 'backup:prune'}))
    expect(audit.length).to.be.greaterThan(0)
    expect(JSON.stringify(audit)).to.include(ids.a3)
  })

  it('leaves the entries of an unreachable or apparently unmounted target, reports them, exit 3', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'odoops-prune-empty-'))
    await withStore(env, async (store) => {
      await tenant(store, 'bigco', 'active', 'premium')
      await store.backupTargets.insert({id: 'offsite', type: 'sftp', host: 'no-such-host', path: '/srv/b'})
      await store.backupTargets.insert({id: 'nas', type: 'local', path: empty})
      // Catalogued on targets whose files this test never writes there.
      const scratch = mkdtempSync(join(tmpdir(), 'odoops-prune-elsewhere-'))
      for (const stamp of ['2026-11-20T02:00:00Z', '2026-01-01T02:00:00Z']) await plant(store, scratch, 'bigco', stamp, {target: 'offsite'})
      for (const stamp of ['2026-11-19T02:00:00Z', '2026-01-02T02:00:00Z']) await plant(store, scratch, 'bigco', stamp, {target: 'nas'})
    })
    const run = await runCli(['backup', 'prune', '--all', ...rules(1), '--json'], {env})
    expect(run.code, run.stdout + run.stderr).to.equal(3)
    const bigco = run.json.tenants.find((t: {tenant: string}) => t.tenant === 'bigco')
    expect(bigco.rules.source).to.equal('config + flags')
    const codes = Object.fromEntries(bigco.failed.map((b: {target: string; error: {code: string}}) => [b.target, b.error.code]))
    expect(codes.nas).to.equal('BACKUP_TARGET_EMPTY')
    expect(codes.offsite, JSON.stringify(bigco.failed)).to.equal('HOST_NOT_FOUND')
    expect(bigco.deleted).to.deep.equal([])
    expect(await withStore(env, (s) => s.backups.count({tenant: 'bigco'}))).to.equal(4)
    // acme, on a healthy target, is unaffected.
    expect(run.json.tenants.find((t: {tenant: string}) => t.tenant === 'acme').failed).to.deep.equal([])
  })

  it('takes the plan tier\'s rules from backup.retentionByPlan', async () => {
    const set = await runCli(['config', 'set', 'backup.retentionByPlan', 'premium=0/0/0'], {env})
    expect(set.code, set.stderr).to.equal(0)
    const run = await runCli(['backup', 'prune', 'bigco', '--dry-run', '--now', NOW, '--json'], {env})
    expect(run.json.tenants[0].rules).to.deep.equal({daily: 0, weekly: 0, monthly: 0, source: 'plan premium'})
    expect(run.json.tenants[0].kept.map((b: {reasons: string[]}) => b.reasons)).to.deep.equal([['newest']])
    const bad = await runCli(['config', 'set', 'backup.retention', '7-4-12'], {env})
    expect(bad.code).to.equal(2)
  })

  it('rejects a selection of both names and --all, and an unknown tenant (exit 2)', async () => {
    expect((await runCli(['backup', 'prune', 'acme', '--all'], {env})).code).to.equal(2)
    const unknown = await runCli(['backup', 'prune', 'nobody', '--json'], {env})
    expect(unknown.code).to.equal(2)
    expect((await runCli(['backup', 'prune', '--json'], {env})).json.error.code).to.equal('BACKUP_SELECTION')
  })
})

describe('backup prune deletion order', () => {
  it('deletes the manifest first; a failure after it leaves the catalog entry (retried by the next prune)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'odoops-prune-order-'))
    const store = await openStore(parseStateLocation(undefined, dataDir))
    try {
      const root = join(dataDir, 'backups')
      await tenant(store, 'acme')
      const old = await plant(store, root, 'acme', '2026-01-01T02:00:00Z')
      const older = await plant(store, root, 'acme', '2025-12-01T02:00:00Z')
      await plant(store, root, 'acme', '2026-11-20T02:00:00Z')
      const deletes: string[] = []
      let failOn: string | undefined = `acme/${old.id}/filestore.tar.zst`
      const open = (): BackupTarget => {
        const local = new LocalTarget('default', root)
        return Object.assign(Object.create(local) as BackupTarget, {
          delete: async (key: string) => {
            if (key === failOn) throw new Error('disk said no')
            deletes.push(key)
            return local.delete(key)
          },
        })
      }
      const options = {dryRun: false, retention: {defaults: {daily: 0, weekly: 0, monthly: 0}, byPlan: {}, overrides: {}}}
      const first = await pruneBackups({store, dataDir, open, now: () => new Date(NOW)}, ['acme'], options)
      expect(first.exitCode).to.equal(3)
      // Oldest first; each backup's manifest before its data files.
      expect(deletes).to.deep.equal([`acme/${older.id}/manifest.json`, `acme/${older.id}/database.dump.zst`, `acme/${older.id}/filestore.tar.zst`, `acme/${old.id}/manifest.json`, `acme/${old.id}/database.dump.zst`])
      expect(first.tenants[0].failed.map((f) => [f.id, f.filesDeleted, f.error.message])).to.deep.equal([[old.id, ['manifest.json', 'database.dump.zst'], 'disk said no']])
      expect(await store.backups.get(old.id), 'entry kept').to.not.equal(undefined)
      expect(await store.backups.get(older.id)).to.equal(undefined)

      failOn = undefined
      const second = await pruneBackups({store, dataDir, open, now: () => new Date(NOW)}, ['acme'], options)
      expect(second.exitCode).to.equal(0)
      expect(second.tenants[0].deleted.map((d) => [d.id, d.missing])).to.deep.equal([[old.id, ['manifest.json', 'database.dump.zst']]])
      expect(await store.backups.get(old.id)).to.equal(undefined)
      expect(filesUnder(join(root, 'acme'))).to.have.length(3)
    } finally {
      await store.close()
    }
  })
})
