import {expect} from 'chai'
import {execa} from 'execa'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {certificateScript, issuerName, parseCertificateOutput, parseOpensslDate, tenantCertificate} from '../../src/lib/fleet/certificates.js'
import nock from 'nock'
import {scoreTenant, type ScoreInput} from '../../src/lib/fleet/score.js'
import {scheduleNotifier} from '../../src/lib/schedule/invocation.js'
import {runJob} from '../../src/lib/schedule/run-job.js'
import type {JobSpec, ScheduleFile} from '../../src/lib/schedule/types.js'
import type {SshConnection} from '../../src/lib/ssh/connection.js'
import {openStore} from '../../src/lib/state/open.js'
import type {TenantRecord} from '../../src/lib/state/records.js'

const dir = mkdtempSync(join(tmpdir(), 'odoops-fleet-certs-'))

/** A CA and a leaf it signs, valid `days`, made with openssl on this machine. */
async function issue(name: string, days: number): Promise<string> {
  const sh = (cmd: string) => execa('sh', ['-c', cmd], {cwd: dir})
  await sh(`test -e ca.pem || openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj '/O=Odoops Test/CN=Odoops Test CA' 2>/dev/null`)
  await sh(`openssl req -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.csr -subj '/CN=${name}.example.test' 2>/dev/null && openssl x509 -req -in ${name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days ${days} -out ${name}.pem 2>/dev/null`)
  return join(dir, `${name}.pem`)
}

function tenant(id: string, certificate: string, acme = false): TenantRecord {
  return {id, host: 'web1', mode: 'shared', domain: `${id}.example.test`, series: '17.0', database: id, state: 'active', tls: {certificate, key: '', selfSigned: !acme, ...(acme ? {acme: true} : {})}}
}

function input(certificate: ScoreInput['certificate']): ScoreInput {
  return {
    state: 'active',
    verdict: 'healthy',
    service: {unit: 'odoo17.service', active: 'active'},
    http: {ok: true, status: 200, detail: 'ok'},
    databaseBytes: 1,
    diskFreeBytes: 40 * 1024 ** 3,
    problems: [],
    tenantAgeHours: 1,
    backups: {newest: null, newestVerified: null, lastVerification: null},
    rpo: {hours: 24, source: 'config'},
    usage: null,
    certificate,
  }
}

/** The score of a tenant whose only deductions are its certificate's (no-backup-yet set aside). */
function certScore(i: ScoreInput) {
  const scored = scoreTenant(i)
  const deductions = scored.deductions.filter((d) => d.code.startsWith('certificate-'))
  return {deductions, status: deductions.some((d) => d.breach) ? 'breach' : deductions.length > 0 ? 'warning' : 'ok'}
}

describe('fleet status: certificates', () => {
  it('reads real certificates with the host script (openssl here): issuer CN, notAfter, days left; a missing file is an error', async function () {
    this.timeout(60_000)
    const short = await issue('short', 5)
    const long = await issue('long', 60)
    const tenants = [tenant('short', short), tenant('long', long), tenant('gone', join(dir, 'missing.pem'))]
    const cmd = certificateScript(tenants)
    const r = await execa('sh', ['-c', cmd.text])
    const parsed = parseCertificateOutput(r.stdout)
    const now = new Date()
    const s = tenantCertificate(tenants[0], parsed, now)
    expect(s).to.include({issuer: 'Odoops Test CA', path: short, daysLeft: 4})
    expect(s.issuerDn).to.include('O=Odoops Test')
    expect(Date.parse(s.notAfter!) - now.getTime()).to.be.within(4.9 * 86_400_000, 5 * 86_400_000)
    expect(tenantCertificate(tenants[1], parsed, now).daysLeft).to.equal(59)
    const gone = tenantCertificate(tenants[2], parsed, now)
    expect(gone).to.include({daysLeft: null, issuer: null})
    expect(gone.error).to.match(/missing\.pem|No such file|Could not/i)

    const scored = certScore(input(s))
    expect(scored.status).to.equal('breach')
    expect(scored.deductions).to.have.length(1)
    expect(scored.deductions[0]).to.include({code: 'certificate-expiring', points: 30, breach: true})
    expect(scored.deductions[0].reason).to.include('expires in 4 days').and.include('Odoops Test CA')
    expect(certScore(input(tenantCertificate(tenants[1], parsed, now))).deductions).to.deep.equal([])
    expect(certScore(input(gone)).deductions[0]).to.include({code: 'certificate-unreadable', breach: true})
  })

  it('warns under 21 days, breaches under 7 and once expired', () => {
    const cert = (daysLeft: number) => ({path: '/p', issuer: 'R3', issuerDn: 'CN=R3,O=Let\'s Encrypt', notAfter: '2027-01-01T00:00:00.000Z', daysLeft, renewalFailure: null})
    expect(certScore(input(cert(21))).deductions).to.deep.equal([])
    expect(certScore(input(cert(20))).deductions.map((d) => [d.code, d.breach])).to.deep.equal([['certificate-expiry-warn', false]])
    expect(certScore(input(cert(20))).status).to.equal('warning')
    expect(certScore(input(cert(6))).deductions.map((d) => d.code)).to.deep.equal(['certificate-expiring'])
    expect(certScore(input(cert(-2))).deductions[0].reason).to.include('expired 2 days ago')
  })

  it("reports certbot's last failed renewal of the lineage with its reason, unless a certificate was saved after it", () => {
    const out = [
      '@@cert shop',
      'issuer=CN=R3,O=Let\'s Encrypt,C=US',
      'notAfter=Mar  5 04:00:00 2027 GMT',
      '@@mtime 1000',
      '@@cert other',
      'issuer=O=Acme Only',
      'notAfter=Mar  5 04:00:00 2027 GMT',
      '@@mtime 5000',
      '@@logs',
      "@@fail 2000 2026-12-05 04:40:00,123:ERROR:certbot._internal.renewal:Failed to renew certificate shop with error: Some challenges have failed.",
      "@@fail 900 2026-12-01 04:40:00,123:ERROR:certbot._internal.renewal:Failed to renew certificate shop with error: older",
      "@@fail 3000 2026-12-05 04:40:00,123:ERROR:certbot._internal.renewal:Failed to renew certificate other with error: renewed since",
    ].join('\n')
    const parsed = parseCertificateOutput(out)
    const now = new Date('2026-12-05T00:00:00Z')
    const shop = tenantCertificate(tenant('shop', '/etc/letsencrypt/live/shop/fullchain.pem', true), parsed, now)
    expect(shop.issuer).to.equal('R3')
    expect(shop.notAfter).to.equal('2027-03-05T04:00:00.000Z')
    expect(shop.renewalFailure).to.deep.equal({certName: 'shop', at: new Date(2_000_000).toISOString(), reason: 'Some challenges have failed.'})
    const d = certScore(input(shop)).deductions
    expect(d.map((x) => [x.code, x.breach])).to.deep.equal([['certificate-renewal-failed', false]])
    expect(d[0].reason).to.include('Some challenges have failed.')
    const other = tenantCertificate(tenant('other', '/etc/letsencrypt/live/other/fullchain.pem', true), parsed, now)
    expect(other.issuer).to.equal('Acme Only')
    expect(other.renewalFailure).to.equal(null)
    expect(parseOpensslDate('Dec  5 04:00:00 2026 GMT')).to.equal('2026-12-05T04:00:00.000Z')
    expect(issuerName('CN=Pebble Intermediate CA 1a2b3c')).to.equal('Pebble Intermediate CA 1a2b3c')
  })

  it('a status job with certificateDays fails the unit of a tenant whose certificate has fewer days left, and notifies naming it and the days', async function () {
    this.timeout(60_000)
    const store = await openStore({backend: 'local', dir: mkdtempSync(join(tmpdir(), 'odoops-certjob-'))})
    await store.tenants.put(tenant('short', await issue('short', 5)))
    await store.tenants.put(tenant('long', await issue('long', 60)))
    // The host is this machine: the job's one command runs here with the real openssl.
    const local = async () =>
      ({
        target: {name: 'web1'},
        isClosed: false,
        async exec(cmd: {text: string}) {
          const r = await execa('sh', ['-c', cmd.text], {reject: false, encoding: 'buffer'})
          return {code: r.exitCode ?? 1, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr)}
        },
      }) as unknown as SshConnection
    const HOOK = 'http://hooks.example.test'
    const job: JobSpec = {id: 'cert-check', kind: 'status', cron: '0 7 * * *', select: {tenants: ['short', 'long']}, options: {certificateDays: 14, packChecks: false}, notify: {failures: ['hook']}}
    const schedule: ScheduleFile = {version: 1, channels: {hook: {type: 'webhook', url: `${HOOK}/odoops`}}, jobs: [job]}
    const bodies: Record<string, any>[] = []
    const scope = nock(HOOK)
      .post('/odoops', (body) => (bodies.push(body), true))
      .reply(200, 'ok')
    const emit = () => {}
    try {
      const result = await runJob({store, dataDir: '/nonexistent', setting: () => undefined, connect: local}, job, {
        slot: '2026-12-05T07:00Z',
        signal: new AbortController().signal,
        emit,
        notifier: scheduleNotifier({schedule, source: 'file', location: 'test'}, {store}, emit, {attempts: 1, baseDelayMs: 10, maxDelayMs: 10}),
        via: 'test',
      })
      const units = Object.fromEntries(result.units.map((u) => [u.unit, u]))
      expect(units.long.status).to.equal('ok')
      expect((units.long.detail as {certificate: {daysLeft: number}}).certificate.daysLeft).to.equal(59)
      expect([units.short.status, units.short.error?.code]).to.deep.equal(['failed', 'CERTIFICATE_CHECK_FAILED'])
      expect(scope.isDone()).to.equal(true)
      expect(bodies).to.have.length(1)
      expect(bodies[0]).to.include({type: 'failure', job: 'cert-check', kind: 'status', tenant: 'short'})
      expect(bodies[0].error.message).to.include('Tenant short: certificate of Odoops Test CA').and.include('expires in 4 days').and.include('less than 14 days')
    } finally {
      nock.cleanAll()
    }
  })
})
