import {expect} from 'chai'
import {hostname} from 'node:os'
import {buildAuditEvent, displayCommandId, normalizeCommandId, outcomeOf, parseSince} from '../../src/lib/audit/audit.js'
import {registerSecret, REDACTED} from '../../src/lib/secrets/redact.js'
import {OdoopsError} from '../../src/lib/errors.js'
import {newTestSecret} from '../helpers/secrets.js'

describe('audit events', () => {
  const now = new Date('2025-03-10T12:00:00.000Z')

  it('reads --since as a duration back from now', () => {
    expect(parseSince('30m', now)).to.equal('2025-03-10T11:30:00.000Z')
    expect(parseSince('24h', now)).to.equal('2025-03-09T12:00:00.000Z')
    expect(parseSince('7d', now)).to.equal('2025-03-03T12:00:00.000Z')
    expect(parseSince('2W', now)).to.equal('2025-02-24T12:00:00.000Z')
  })

  it('reads --since as an ISO date or time, stored as UTC', () => {
    expect(parseSince('2025-01-31', now)).to.equal('2025-01-31T00:00:00.000Z')
    expect(parseSince('2025-01-31T08:00:00Z', now)).to.equal('2025-01-31T08:00:00.000Z')
    expect(parseSince('2025-01-31T08:00:00+02:00', now)).to.equal('2025-01-31T06:00:00.000Z')
  })

  it('refuses anything else with exit 2 and examples', () => {
    for (const bad of ['yesterday', '7', '7y', '2025-13-45', '']) {
      let error: unknown
      try {
        parseSince(bad, now)
      } catch (e) {
        error = e
      }
      expect(error, bad).to.be.instanceOf(OdoopsError)
      expect(error).to.include({code: 'AUDIT_SINCE_INVALID', exit: 2})
    }
  })

  it('takes command ids with spaces or colons', () => {
    expect(normalizeCommandId('config set')).to.equal('config:set')
    expect(normalizeCommandId(' host  add ')).to.equal('host:add')
    expect(normalizeCommandId('config:set')).to.equal('config:set')
    expect(displayCommandId('state:migrate')).to.equal('state migrate')
  })

  it('maps exit codes to outcomes', () => {
    expect([0, 1, 2, 3, 4, 130].map(outcomeOf)).to.deep.equal(['ok', 'error', 'error', 'partial', 'error', 'interrupted'])
  })

  it('builds an event with who, where, redacted args, error and details', () => {
    const secret = newTestSecret()
    registerSecret(secret)
    const event = buildAuditEvent({
      command: 'host:add',
      argv: ['web1', '--password', 'plain-pw-1', `--note=${secret}`],
      exitCode: 1,
      durationMs: 12.6,
      tenant: 'acme',
      host: 'web1',
      error: `login failed with ${secret}`,
      details: {adminPassword: 'x-123456', port: 22},
    })
    expect(event).to.deep.include({
      machine: hostname(),
      command: 'host:add',
      args: ['web1', '--password', REDACTED, `--note=${REDACTED}`],
      outcome: 'error',
      exitCode: 1,
      durationMs: 13,
      tenant: 'acme',
      host: 'web1',
      error: `login failed with ${REDACTED}`,
      details: {adminPassword: REDACTED, port: 22},
    })
    expect(event.user).to.be.a('string').and.not.equal('')
    expect(Date.parse(event.time)).to.be.closeTo(Date.now(), 5000)
  })
})
