import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import nock from 'nock'
import {SMTPServer} from 'smtp-server'
import {openStore} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {runJob} from '../../src/lib/schedule/run-job.js'
import {scheduleNotifier} from '../../src/lib/schedule/invocation.js'
import type {LoadedSchedule, ScheduleFile} from '../../src/lib/schedule/types.js'
import {webhookBody} from '../../src/lib/notify/webhook.js'
import {jobEvents, seedTenants} from './fleet.js'

const HOOK = 'http://hooks.example.test'
const TOKEN = 'hook-token-7f3a9c2e11'
const SMTP_PASSWORD = 'smtp-pass-0b9d4e77a1'

interface Received {
  from: string
  to: string[]
  data: string
}

async function smtpSink(): Promise<{port: number; mails: Received[]; auths: {username?: string; password?: string}[]; close(): Promise<void>}> {
  const mails: Received[] = []
  const auths: {username?: string; password?: string}[] = []
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      auths.push({username: auth.username, password: auth.password ?? undefined})
      callback(null, {user: auth.username})
    },
    onData(stream, session, callback) {
      let data = ''
      stream.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')))
      stream.on('end', () => {
        mails.push({from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data})
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as {port: number}).port
  return {port, mails, auths, close: () => new Promise((resolve) => server.close(() => resolve()))}
}

function loaded(schedule: ScheduleFile): LoadedSchedule {
  return {schedule, source: 'file', location: 'test'}
}

describe('schedule notifications', () => {
  let store: StateStore
  let sink: Awaited<ReturnType<typeof smtpSink>>
  const fast = {attempts: 3, baseDelayMs: 20, maxDelayMs: 100}

  before(async () => {
    store = await openStore({backend: 'local', dir: mkdtempSync(join(tmpdir(), 'odoops-notify-'))})
    await seedTenants(store, 'nf', 2)
    sink = await smtpSink()
    process.env.TEST_HOOK_TOKEN = TOKEN
    process.env.TEST_SMTP_PASSWORD = SMTP_PASSWORD
  })
  after(async () => {
    nock.cleanAll()
    await sink.close()
    await store.close()
  })
  afterEach(() => nock.cleanAll())

  function schedule(job: ScheduleFile['jobs'][number]): ScheduleFile {
    return {
      version: 1,
      channels: {
        hook: {type: 'webhook', url: `${HOOK}/odoops`, tokenEnv: 'TEST_HOOK_TOKEN'},
        mail: {type: 'email', host: '127.0.0.1', port: sink.port, user: 'ops', passwordEnv: 'TEST_SMTP_PASSWORD', from: 'odoops@example.test', to: ['ops@example.test']},
      },
      jobs: [job],
    }
  }

  it('a failing job sends one webhook and one e-mail, secrets never logged', async () => {
    const job = {id: 'stale-check', kind: 'status' as const, cron: '* * * * *', select: {tenants: ['nf01']}, options: {maxBackupAgeHours: 24}, notify: {failures: ['hook', 'mail']}}
    const bodies: Record<string, any>[] = []
    const headers: string[] = []
    const scope = nock(HOOK)
      .post('/odoops', (body) => {
        bodies.push(body)
        return true
      })
      .reply(function () {
        headers.push(String(this.req.headers.authorization))
        return [200, 'ok']
      })
    const lines: string[] = []
    const emit = (e: Record<string, unknown>) => lines.push(JSON.stringify(e))
    const s = schedule(job)
    const result = await runJob({store, dataDir: '/nonexistent', setting: () => undefined}, job, {
      slot: '2026-11-23T02:00Z',
      signal: new AbortController().signal,
      emit,
      notifier: scheduleNotifier(loaded(s), {store}, emit, fast),
      via: 'test',
    })
    expect(result.exitCode).to.equal(1)
    expect(result.units.map((u) => [u.unit, u.status, u.error?.code])).to.deep.equal([['nf01', 'failed', 'TENANT_STATUS_BREACH']])
    expect(scope.isDone()).to.equal(true)
    expect(bodies).to.have.length(1)
    expect(bodies[0]).to.include({source: 'odoops', type: 'failure', job: 'stale-check', kind: 'status', tenant: 'nf01', run: 'stale-check@2026-11-23T02:00Z'})
    expect(bodies[0].error.code).to.equal('TENANT_STATUS_BREACH')
    expect(bodies[0].error.message).to.match(/no backup/)
    expect(bodies[0].subject).to.include('stale-check failed for nf01')
    expect(headers).to.deep.equal([`Bearer ${TOKEN}`])
    expect(sink.mails).to.have.length(1)
    expect(sink.mails[0].to).to.deep.equal(['ops@example.test'])
    expect(sink.mails[0].data).to.match(/^Subject: \[odoops\] stale-check failed for nf01: TENANT_STATUS_BREACH/m)
    expect(sink.mails[0].data).to.include('X-Odoops-Job: stale-check')
    expect(sink.auths).to.deep.equal([{username: 'ops', password: SMTP_PASSWORD}])
    const events = lines.map((l) => JSON.parse(l))
    expect(events.filter((e) => e.event === 'notify-sent').map((e) => e.channel).sort()).to.deep.equal(['hook', 'mail'])
    const log = lines.join('\n')
    expect(log).to.not.include(TOKEN)
    expect(log).to.not.include(SMTP_PASSWORD)
    // The audit trail has the failed run, once.
    const audited = (await jobEvents(store)).filter((e) => e.details?.job === 'stale-check')
    expect(audited.map((e) => [e.tenant, e.outcome])).to.deep.equal([['nf01', 'error']])
  })

  it('a webhook answering 500 is retried, then given up on without failing the job', async () => {
    sink.mails.length = 0
    const job = {id: 'records', kind: 'status' as const, cron: '* * * * *', notify: {summaries: ['hook', 'mail']}}
    let calls = 0
    const scope = nock(HOOK)
      .post('/odoops')
      .times(3)
      .reply(() => {
        calls++
        return [500, 'down']
      })
    const events: Record<string, any>[] = []
    const emit = (e: Record<string, unknown>) => events.push(e)
    const started = Date.now()
    const result = await runJob({store, dataDir: '/nonexistent', setting: () => undefined}, job, {
      slot: '2026-11-23T03:00Z',
      signal: new AbortController().signal,
      emit,
      notifier: scheduleNotifier(loaded(schedule(job)), {store}, emit, fast),
      via: 'test',
    })
    expect(result.exitCode).to.equal(0)
    expect(result.ok).to.equal(2)
    expect(calls).to.equal(3)
    expect(scope.isDone()).to.equal(true)
    const failed = events.find((e) => e.event === 'notify-failed')
    expect(failed).to.include({channel: 'hook', attempts: 3, notice: 'summary'})
    expect(failed!.reason).to.match(/500/)
    // Backoff: 20 ms then 40 ms (±20 %) between the three attempts.
    expect(Date.now() - started).to.be.greaterThan(45)
    // The summary still reached the other channel: one e-mail for the run.
    expect(sink.mails).to.have.length(1)
    expect(sink.mails[0].data).to.match(/Subject: \[odoops\] records ok: 2 ok, 0 failed, 0 skipped/)
  })

  it('a Slack-compatible payload has text and a block', () => {
    const body = webhookBody({type: 'failure', job: 'j', kind: 'backup', run: 'j@x', tenant: 't', error: {code: 'C', message: 'm'}, machine: 'ops1', time: 'now'}, 'slack') as {text: string; blocks: {text: {text: string}}[]}
    expect(body.text).to.equal('[odoops] j failed for t: C')
    expect(body.blocks[0].text.text).to.include('C: m')
  })
})
