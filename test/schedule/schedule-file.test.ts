import {expect} from 'chai'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import cron from 'node-cron'
import {cronProblem, nextRuns, slotOf, timeZoneProblem, zonedTime} from '../../src/lib/schedule/cron.js'
import {DEFAULT_SCHEDULE} from '../../src/lib/schedule/defaults.js'
import {parseSchedule} from '../../src/lib/schedule/file.js'
import {rotationBucket, rotationTurn} from '../../src/lib/schedule/select.js'
import {periodFor} from '../../src/lib/schedule/kinds.js'
import {renderUnit} from '../../src/lib/schedule/unit.js'
import {stringify} from 'yaml'
import {isolatedEnv, runCli} from '../helpers/cli.js'
import {jsonLines, seedTenants, storeOf} from './fleet.js'

const BAD = `version: 1
timezone: Europe/Brussels
channels:
  hook: {type: webhook, url: "ftp://x", format: teams}
  both: {type: webhook, url: "https://a.example/x", urlEnv: HOOK_URL}
  mail: {type: email, host: smtp, from: ops@example.test, to: [nobody], passwordEnv: SMTP_PASSWORD}
notify: {failures: [hook, ghost]}
jobs:
  - id: a
    kind: backup
    cron: "61 * * * *"
    timezone: Mars/Olympus
    options: {target: nas, rotate: 3}
  - id: a
    kind: verify
    cron: "0 3 * *"
    select: {color: blue}
  - id: inv
    kind: invoice-generate
    cron: "0 6 1 * *"
    select: {plan: premium}
  - {id: x, kind: nope, cron: "@daily"}
`

describe('schedule file, cron expressions, crontab and unit', () => {
  it('accepts the built-in defaults and a complete file', () => {
    expect(parseSchedule(stringify(DEFAULT_SCHEDULE)).issues).to.deep.equal([])
    const parsed = parseSchedule(`version: 1
timezone: Europe/Brussels
channels:
  ops-hook: {type: webhook, urlEnv: SLACK_URL, format: slack}
  ops-mail: {type: email, host: smtp.example.test, port: 587, user: ops, passwordEnv: SMTP_PASSWORD, from: odoops@example.test, to: [ops@example.test]}
notify: {failures: [ops-hook, ops-mail], summaries: [ops-mail]}
jobs:
  - {id: premium-backup, kind: backup, cron: "0 */6 * * *", select: {plan: premium}, options: {target: offsite, perHost: 1}}
  - {id: weekly-verify, kind: verify, cron: "0 3 * * SUN", timezone: America/New_York}
  - {id: tagged-status, kind: status, cron: "*/15 8-18 * * MON-FRI", select: {tag: vip, host: pa}, options: {maxBackupAgeHours: 26}}
  - {id: drafts, kind: invoice-generate, cron: "0 6 1 * *", options: {period: previous, dryRun: true}, enabled: false}
`)
    expect(parsed.issues).to.deep.equal([])
    expect(parsed.schedule?.jobs.map((j) => j.id)).to.deep.equal(['premium-backup', 'weekly-verify', 'tagged-status', 'drafts'])
  })

  it('lists every error with its JSON path and line, schema and rules together', () => {
    const {schedule, issues} = parseSchedule(BAD)
    expect(schedule).to.equal(undefined)
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]))
    expect(byPath['/channels/hook/url']).to.match(/http/)
    expect(byPath['/channels/hook/format']).to.match(/json, slack/)
    expect(byPath['/channels/both']).to.match(/exactly one of url, urlEnv, urlSecret/)
    expect(byPath['/channels/mail/to/0']).to.match(/e-mail/)
    expect(byPath['/channels/mail/user']).to.match(/password goes with a user/)
    expect(byPath['/notify/failures/1']).to.match(/no channel "ghost"/)
    expect(byPath['/jobs/0/cron']).to.match(/minute "61" is out of range/)
    expect(byPath['/jobs/0/timezone']).to.match(/not an IANA time zone/)
    expect(byPath['/jobs/0/options/rotate']).to.match(/unknown property "rotate"/)
    expect(byPath['/jobs/1/id']).to.match(/used by \/jobs\/0/)
    expect(byPath['/jobs/1/cron']).to.match(/has 4 fields/)
    expect(byPath['/jobs/1/select']).to.match(/"all" or an object/)
    expect(byPath['/jobs/2/select']).to.match(/whole fleet/)
    expect(byPath['/jobs/3/kind']).to.match(/one of backup, verify, prune, meter, invoice-generate, status/)
    expect(byPath['/jobs/3/cron']).to.match(/five fields/)
    const cronIssue = issues.find((i) => i.path === '/jobs/0/cron')!
    expect([cronIssue.line, cronIssue.column]).to.deep.equal([11, 11])
  })

  it('validate prints every issue and exits 2; a valid file exits 0', async () => {
    const env = isolatedEnv()
    const dir = mkdtempSync(join(tmpdir(), 'odoops-sched-'))
    writeFileSync(join(dir, 'bad.yaml'), BAD)
    const bad = await runCli(['schedule', 'validate', join(dir, 'bad.yaml'), '--json'], {env})
    expect(bad.code).to.equal(2)
    expect(bad.json.error.code).to.equal('SCHEDULE_INVALID')
    expect(bad.json.error.data.issues.length).to.be.greaterThanOrEqual(15)
    writeFileSync(join(dir, 'good.yaml'), stringify(DEFAULT_SCHEDULE))
    const good = await runCli(['schedule', 'validate', join(dir, 'good.yaml'), '--json'], {env})
    expect(good.code, good.stderr).to.equal(0)
    expect(good.json.jobs).to.have.length(5)
  })

  it('accepts crontab(5) syntax only, and IANA zones', () => {
    for (const ok of ['* * * * *', '0 2 * * *', '*/15 8-18 * * MON-FRI', '0 0 1,15 * *', '30 4 * JAN-MAR 0', '0 0 * * 7', '5-55/10 * * * *']) expect(cronProblem(ok), ok).to.equal(undefined)
    for (const bad of ['* * * *', '0 0 0 * * *', '@daily', '60 * * * *', '0 24 * * *', '0 0 0 * *', '0 0 * 13 *', '0 0 L * *', '10-5 * * * *', '*/0 * * * *', 'a b c d e']) expect(cronProblem(bad), bad).to.be.a('string')
    expect(timeZoneProblem('Europe/Brussels')).to.equal(undefined)
    expect(timeZoneProblem('Mars/Olympus')).to.match(/IANA/)
  })

  it('computes next run times in the job time zone', () => {
    const runs = nextRuns('30 2 * * *', 'Europe/Brussels', 3)
    expect(runs).to.have.length(3)
    for (const run of runs) expect(zonedTime(run, 'Europe/Brussels')).to.match(/ 02:30 /)
    expect(runs[1].getTime() - runs[0].getTime()).to.be.within(23 * 3_600_000, 25 * 3_600_000)
    expect(runs[0].getTime()).to.be.greaterThan(Date.now())
    const monthly = nextRuns('0 6 1 * *', 'America/New_York', 2)
    for (const run of monthly) expect(zonedTime(run, 'America/New_York')).to.match(/-01 06:00 /)
    expect(slotOf(new Date('2026-11-23T02:00:41.123Z'))).to.equal('2026-11-23T02:00Z')
  })

  it('rotates verification so every tenant comes once per cycle, and picks billing periods', () => {
    const slugs = Array.from({length: 50}, (_, i) => `tenant-${i}`)
    const seen = new Map<string, number>()
    for (let day = 0; day < 7; day++) {
      const slot = new Date(Date.UTC(2026, 10, 1 + day, 4)).toISOString().replace(':00.000Z', 'Z')
      for (const s of slugs) if (rotationBucket(s, 7) === rotationTurn(slot, 7)) seen.set(s, (seen.get(s) ?? 0) + 1)
    }
    expect([...seen.values()].every((n) => n === 1) && seen.size === 50).to.equal(true)
    expect(periodFor('previous', new Date('2026-01-01T06:00:00Z'))).to.equal('2025-12')
    expect(periodFor('current', new Date('2026-01-01T06:00:00Z'))).to.equal('2026-01')
    expect(periodFor('2026-03', new Date())).to.equal('2026-03')
  })

  it('stored schedule wins over schedule.yaml, and list shows next runs', async () => {
    const env = isolatedEnv()
    mkdirSync(env.ODOOPS_CONFIG_DIR, {recursive: true})
    writeFileSync(join(env.ODOOPS_CONFIG_DIR, 'schedule.yaml'), 'version: 1\njobs:\n  - {id: from-file, kind: status, cron: "0 * * * *"}\n')
    const fromFile = await runCli(['schedule', 'list', '--json'], {env})
    expect(fromFile.json.source).to.equal('file')
    expect(fromFile.json.jobs.map((j: {id: string}) => j.id)).to.deep.equal(['from-file'])
    const dir = mkdtempSync(join(tmpdir(), 'odoops-sched-'))
    writeFileSync(join(dir, 's.yaml'), 'version: 1\ntimezone: Asia/Kolkata\njobs:\n  - {id: stored, kind: status, cron: "30 9 * * *"}\n')
    const applied = await runCli(['schedule', 'apply', join(dir, 's.yaml'), '--json'], {env})
    expect(applied.code, applied.stderr).to.equal(0)
    const list = await runCli(['schedule', 'list', '--next', '2', '--json'], {env})
    expect(list.json.source).to.equal('store')
    expect(list.json.shadowedFile).to.equal(join(env.ODOOPS_CONFIG_DIR, 'schedule.yaml'))
    expect(list.json.jobs[0]).to.include({id: 'stored', timezone: 'Asia/Kolkata'})
    // 09:30 in India (UTC+05:30) is 04:00 UTC.
    for (const t of list.json.jobs[0].nextRuns as string[]) expect(t).to.match(/T04:00:00\.000Z$/)
    const removed = await runCli(['schedule', 'apply', '--remove', '--json'], {env})
    expect(removed.json.removed).to.equal(true)
    expect((await runCli(['schedule', 'list', '--json'], {env})).json.source).to.equal('file')
  })

  it('crontab output is valid crontab syntax and each line runs via schedule run <job>', async () => {
    const env = isolatedEnv()
    mkdirSync(env.ODOOPS_CONFIG_DIR, {recursive: true})
    writeFileSync(
      join(env.ODOOPS_CONFIG_DIR, 'schedule.yaml'),
      [
        'version: 1',
        'timezone: Europe/Brussels',
        'jobs:',
        '  - {id: records-status, kind: status, cron: "*/5 * * * *"}',
        '  - {id: ny-status, kind: status, cron: "0 9 * * MON-FRI", timezone: America/New_York, select: {tenants: [ct02]}}',
        '  - {id: drafts-preview, kind: invoice-generate, cron: "0 6 1 * *", options: {dryRun: true}}',
        '  - {id: off, kind: status, cron: "0 0 * * *", enabled: false}',
      ].join('\n'),
    )
    const store = await storeOf(env)
    await seedTenants(store, 'ct', 2)
    await store.close()
    const log = join(mkdtempSync(join(tmpdir(), 'odoops-cronlog-')), 'schedule%.log')
    const result = await runCli(['schedule', 'crontab', '--log', log], {env})
    expect(result.code, result.stderr).to.equal(0)
    const lines = result.stdout.split('\n').filter((l) => l.trim() && !l.startsWith('#'))
    const envLines = lines.filter((l) => /^[A-Z_]+=/.test(l))
    const jobLines = lines.filter((l) => !/^[A-Z_]+=/.test(l))
    expect(envLines.filter((l) => l.startsWith('CRON_TZ='))).to.deep.equal(['CRON_TZ=Europe/Brussels', 'CRON_TZ=America/New_York'])
    expect(jobLines).to.have.length(3)
    const cronEnv: Record<string, string> = {}
    for (const l of envLines) cronEnv[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1)
    expect(cronEnv.ODOOPS_DATA_DIR).to.equal(env.ODOOPS_DATA_DIR)
    expect(result.stdout).to.not.include(env.ODOOPS_SECRET_KEY)
    for (const line of jobLines) {
      const fields = line.split(/\s+/)
      const expression = fields.slice(0, 5).join(' ')
      expect(cronProblem(expression), line).to.equal(undefined)
      expect(cron.validate(expression)).to.equal(true)
      // In a crontab command an unescaped % would start stdin: the log path's % is escaped.
      const command = line.slice(line.indexOf(fields[5]))
      expect(command).to.include('schedule%.log'.replace('%', '\\%'))
      const unescaped = command.replace(/\\%/g, '%')
      const run = spawnSync('/bin/sh', ['-c', unescaped], {env: {PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...cronEnv, ODOOPS_SECRET_KEY: env.ODOOPS_SECRET_KEY, NO_COLOR: '1'}, encoding: 'utf8', timeout: 120_000})
      expect(run.status, `${line}\n${run.stderr}`).to.equal(0)
    }
    const structured = await runCli(['schedule', 'crontab', '--json'], {env})
    expect(structured.json.lines.map((l: {job: string; timezone: string}) => [l.job, l.timezone])).to.deep.equal([
      ['records-status', 'Europe/Brussels'],
      ['drafts-preview', 'Europe/Brussels'],
      ['ny-status', 'America/New_York'],
    ])
    const events = jsonLines(execFileSync('cat', [log], {encoding: 'utf8'}))
    const ends = events.filter((e) => e.event === 'job-end')
    expect(ends.map((e) => e.job).sort()).to.deep.equal(['drafts-preview', 'ny-status', 'records-status'])
    expect(ends.every((e) => e.exitCode === 0)).to.equal(true)
    expect(events.filter((e) => e.event === 'tenant-ok' && e.job === 'ny-status').map((e) => e.tenant)).to.deep.equal(['ct02'])
  })

  it('schedule run <job> runs one job; the old name schedule exec still does, with a deprecation warning in --json', async () => {
    const env = isolatedEnv()
    mkdirSync(env.ODOOPS_CONFIG_DIR, {recursive: true})
    writeFileSync(join(env.ODOOPS_CONFIG_DIR, 'schedule.yaml'), ['version: 1', 'jobs:', '  - {id: records-status, kind: status, cron: "*/5 * * * *"}'].join('\n'))
    const store = await storeOf(env)
    await seedTenants(store, 'rx', 1)
    await store.close()
    const now = await runCli(['schedule', 'run', 'records-status', '--json'], {env})
    expect(now.code, now.stderr).to.equal(0)
    expect(now.json.job).to.equal('records-status')
    expect(now.json.warnings).to.deep.equal([])
    const old = await runCli(['schedule', 'exec', 'records-status', '--json'], {env})
    // The same job: in the same minute it finds its run done (4), in the next it runs again (0).
    expect([0, 4], old.stderr).to.include(old.code)
    expect(old.json.job).to.equal('records-status')
    expect(old.json.warnings.join(' ')).to.match(/deprecated.*schedule run/i)
    expect(old.stderr).to.match(/Warning: .*deprecated/i)
  })

  it('unit is a valid systemd service (systemd-analyze verify when available)', async () => {
    const unit = renderUnit({bin: [process.execPath, '/opt/odoops/bin/run.js'], state: 'postgres://odoops@db1:5432/odoops', user: 'root', env: {ODOOPS_CONFIG_DIR: '/etc/odoops'}, graceSeconds: 90, environmentFile: '/etc/odoops/scheduler.env'})
    for (const line of ['Type=simple', 'Restart=on-failure', 'KillSignal=SIGTERM', 'TimeoutStopSec=105', 'ExecReload=/bin/kill -HUP $MAINPID']) expect(unit).to.include(line)
    expect(unit).to.match(/^ExecStart=\S+node \/opt\/odoops\/bin\/run\.js schedule daemon --grace 90 --state postgres:\/\/odoops@db1:5432\/odoops$/m)
    const env = isolatedEnv()
    const printed = await runCli(['schedule', 'unit', '--grace', '30'], {env})
    expect(printed.code, printed.stderr).to.equal(0)
    expect(printed.stdout).to.include('TimeoutStopSec=45')
    const analyze = spawnSync('systemd-analyze', ['--version'])
    if (analyze.status === 0) {
      const file = join(mkdtempSync(join(tmpdir(), 'odoops-unit-')), 'odoops-scheduler.service')
      writeFileSync(file, printed.stdout)
      const verify = spawnSync('systemd-analyze', ['verify', file], {encoding: 'utf8'})
      expect(verify.status, verify.stderr).to.equal(0)
    }
  })
})
