import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, readdirSync, writeFileSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {BIN, runCli} from '../helpers/cli.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {rememberOutput} from '../helpers/secrets.js'
import {tenantWithData, type TenantWithData} from '../helpers/tenant-with-data.js'
import {jsonLines, storeOf} from './fleet.js'

const GRACE_S = 60

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1))
}

interface Running {
  child: ChildProcess
  stdout: string
  exit: Promise<{code: number | null; signal: NodeJS.Signals | null; at: number}>
}

function daemon(env: Record<string, string>): Running {
  const child = spawn(process.execPath, [BIN, 'schedule', 'daemon', '--only', 'minute-backup', '--grace', String(GRACE_S)], {env: {...process.env, ...env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  const running: Running = {child, stdout: '', exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({code, signal, at: Date.now()})))}
  child.stdout.on('data', (c: Buffer) => (running.stdout += c.toString('utf8')))
  child.stderr.on('data', () => {})
  return running
}

/** Waits (up to the next minute and a bit) until a backup file is being written: the job is in the middle of the backup. */
async function untilPartial(dir: string, running: Running): Promise<string> {
  const deadline = Date.now() + 150_000
  while (Date.now() < deadline) {
    const partial = filesUnder(dir).find((f) => f.endsWith('.partial'))
    if (partial) return partial
    if (running.child.exitCode !== null) throw new Error(`daemon exited early:\n${running.stdout}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no backup started within 150 s:\n${running.stdout}`)
}

/**
 * A daemon killed with SIGKILL in the middle of a backup leaves no catalog entry and no
 * lock (its owner is dead), and the next run succeeds; SIGTERM in the middle aborts the
 * backup cleanly and the daemon exits 0 within its grace period.
 */
describe('schedule daemon: kill -9 and SIGTERM during a backup job @host', function () {
  this.timeout(900_000)
  let a: PreparedHost
  let t: TenantWithData
  let env: Record<string, string>
  const backupsDir = () => join(env.ODOOPS_DATA_DIR, 'backups', t.slug)
  const catalog = async () => {
    const store = await storeOf(env)
    try {
      return await store.backups.list({tenant: t.slug})
    } finally {
      await store.close()
    }
  }

  before(async function () {
    a = await preparedHostFor(this, 600_000)
    env = a.env
    // ~25 MB of poorly compressible attachments: the backup streams for a while.
    t = await tenantWithData(a, {prefix: 'sched', attachments: 220})
    mkdirSync(env.ODOOPS_CONFIG_DIR, {recursive: true})
    writeFileSync(
      join(env.ODOOPS_CONFIG_DIR, 'schedule.yaml'),
      ['version: 1', 'jobs:', '  - id: minute-backup', '    kind: backup', '    cron: "* * * * *"', `    select: {tenants: [${t.slug}]}`, ''].join('\n'),
    )
  })

  it('kill -9 mid-backup: no catalog entry, the lock released, the next run succeeds', async () => {
    const before = (await catalog()).length
    const d = daemon(env)
    await untilPartial(backupsDir(), d)
    d.child.kill('SIGKILL')
    const exit = await d.exit
    rememberOutput('stdout of the killed daemon', d.stdout)
    expect(exit.signal).to.equal('SIGKILL')
    const events = jsonLines(d.stdout)
    expect(events.some((e) => e.event === 'tenant-start' && e.tenant === t.slug)).to.equal(true)
    expect(events.some((e) => e.event === 'tenant-ok')).to.equal(false)
    expect((await catalog()).length).to.equal(before)

    // The locks the dead daemon held are free: its PID is gone (same machine), no lease wait.
    const store = await storeOf(env)
    try {
      const held = (await store.locks.list()).map((l) => l.key)
      expect(held).to.not.include(`job:backup:${t.slug}`)
      expect(held).to.not.include(`backup:${t.slug}`)
      for (const key of [`job:backup:${t.slug}`, `backup:${t.slug}`]) {
        const got = await store.locks.acquire(key, {owner: 'test', ttlMs: 10_000})
        expect(got.acquired, key).to.equal(true)
        await store.locks.release(key, 'test')
      }
    } finally {
      await store.close()
    }

    // The next run (what cron would call) succeeds and sweeps what the killed one left.
    const next = await runCli(['schedule', 'run', 'minute-backup'], {env, timeoutMs: 600_000})
    expect(next.code, next.stdout + next.stderr).to.equal(0)
    const ok = jsonLines(next.stdout).find((e) => e.event === 'tenant-ok')
    expect(ok?.detail?.swept).to.be.greaterThan(0)
    const entries = await catalog()
    console.log(`      next run: backup ${ok?.detail?.backup} of ${ok?.detail?.bytes} bytes in ${ok?.durationMs} ms, ${ok?.detail?.swept} leftover file(s) swept`)
    expect(entries.length).to.equal(before + 1)
    expect(entries.every((e) => e.status === 'complete')).to.equal(true)
    expect(filesUnder(backupsDir()).filter((f) => f.endsWith('.partial'))).to.deep.equal([])
  })

  it('SIGTERM mid-backup: the job ends cleanly and the daemon exits 0 within the grace period', async () => {
    const before = await catalog()
    const d = daemon(env)
    await untilPartial(backupsDir(), d)
    const sent = Date.now()
    d.child.kill('SIGTERM')
    const exit = await d.exit
    rememberOutput('stdout of the stopped daemon', d.stdout)
    expect(exit.code, d.stdout).to.equal(0)
    expect(exit.at - sent).to.be.below(GRACE_S * 1000)
    console.log(`      SIGTERM → exit 0 in ${exit.at - sent} ms (grace ${GRACE_S} s)`)
    const events = jsonLines(d.stdout)
    const end = events.find((e) => e.event === 'tenant-failed' || e.event === 'tenant-ok')
    // Aborted in the middle (it had just started writing): interrupted, nothing kept.
    expect(end?.event).to.equal('tenant-failed')
    expect(end?.outcome).to.equal('interrupted')
    expect(events.at(-1)).to.include({event: 'daemon-stop', outcome: 'clean'})
    expect((await catalog()).map((e) => e.id).sort()).to.deep.equal(before.map((e) => e.id).sort())
    expect(filesUnder(backupsDir()).filter((f) => f.endsWith('.partial'))).to.deep.equal([])
    // Only files of catalogued backups remain on the target.
    const known = new Set(before.map((e) => e.id))
    expect(filesUnder(backupsDir()).every((f) => known.has(f.split('/')[0]))).to.equal(true)
    const store = await storeOf(env)
    try {
      expect((await store.locks.list()).map((l) => l.key)).to.not.include(`job:backup:${t.slug}`)
      const audited = (await store.audit.list({command: 'schedule:job', tenant: t.slug})).at(-1)
      expect(audited?.outcome).to.equal('interrupted')
    } finally {
      await store.close()
    }
  })
})
