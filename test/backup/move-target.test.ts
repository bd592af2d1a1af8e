import {expect} from 'chai'
import {assertMovable, moveTarget, sameHostCopySteps, type MoveState} from '../../src/lib/backup/move.js'
import {OdoopsError} from '../../src/lib/errors.js'
import type {TenantRecord} from '../../src/lib/state/records.js'
import {retireSteps} from '../../src/lib/tenants/remove.js'

/** Where `tenant move` goes and what it refuses, and the plans of a move on the tenant's own host (no host needed). */
const tenant = (extra: Partial<TenantRecord> = {}): TenantRecord => ({
  id: 'acme',
  host: 'web1',
  mode: 'shared',
  domain: 'acme.example.test',
  series: '17.0',
  database: 'acme.example.test',
  state: 'active',
  ...extra,
})

const unfinished = (to: string, mode: TenantRecord['mode']): MoveState => ({to, mode, startedAt: '2026-12-04T10:00:00.000Z', draft: tenant({host: to, mode}), steps: []})

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(OdoopsError)
    return (error as OdoopsError).code
  }
  return undefined
}

describe('tenant move: target and refusals', () => {
  it('--to-host wins; else the unfinished move\'s host; else, with --mode, the tenant\'s own host', () => {
    expect(moveTarget(tenant(), {toHost: 'web2'})).to.equal('web2')
    expect(moveTarget(tenant({move: unfinished('web2', 'dedicated')}), {})).to.equal('web2')
    expect(moveTarget(tenant(), {mode: 'dedicated'})).to.equal('web1')
    // A retirement left to finish continues on the tenant's (new) host.
    expect(moveTarget(tenant({retiring: tenant({mode: 'dedicated'})}), {})).to.equal('web1')
  })

  it('nothing to go by: MISSING_VALUE naming both ways', () => {
    expect(codeOf(() => moveTarget(tenant(), {}))).to.equal('MISSING_VALUE')
  })

  it('same host: refused only when the mode does not change', () => {
    expect(codeOf(() => assertMovable(tenant(), 'web1'))).to.equal('MOVE_SAME_HOST')
    expect(codeOf(() => assertMovable(tenant(), 'web1', 'shared'))).to.equal('MOVE_SAME_HOST')
    expect(codeOf(() => assertMovable(tenant(), 'web1', 'dedicated'))).to.equal(undefined)
    expect(codeOf(() => assertMovable(tenant({mode: 'dedicated', database: 'acme'}), 'web1', 'shared'))).to.equal(undefined)
    expect(codeOf(() => assertMovable(tenant(), 'web2'))).to.equal(undefined)
  })

  it('an unfinished move is continued, never replaced by another host or mode', () => {
    const moving = tenant({move: unfinished('web1', 'dedicated')})
    expect(codeOf(() => assertMovable(moving, 'web1'))).to.equal(undefined)
    expect(codeOf(() => assertMovable(moving, 'web1', 'dedicated'))).to.equal(undefined)
    expect(codeOf(() => assertMovable(moving, 'web1', 'shared'))).to.equal('MOVE_IN_PROGRESS')
    expect(codeOf(() => assertMovable(moving, 'web2', 'dedicated'))).to.equal('MOVE_IN_PROGRESS')
  })

  it('only an active tenant moves', () => {
    expect(codeOf(() => assertMovable(tenant({state: 'failed'}), 'web1', 'dedicated'))).to.equal('TENANT_NOT_READY')
  })
})

describe('tenant move on the same host: plans', () => {
  const names = (steps: {name: string}[]) => steps.map((s) => s.name)

  it('builds the copy without touching TLS or nginx, and checks it on its own port last', () => {
    expect(names(sameHostCopySteps('dedicated'))).to.deep.equal(['role', 'directories', 'config', 'unit', 'restore-database', 'restore-filestore', 'restore-identity', 'service', 'api-key', 'copy-health'])
    expect(names(sameHostCopySteps('shared'))).to.deep.equal(['restore-database', 'restore-filestore', 'restore-identity', 'api-key', 'db-list', 'copy-health'])
  })

  it('retires the old copy but its vhost and certificate (they serve the new copy), and never the secrets', () => {
    expect(names(retireSteps('shared', {keepSite: true}))).to.deep.equal(['db-list', 'database', 'files'])
    expect(names(retireSteps('dedicated', {keepSite: true}))).to.deep.equal(['service', 'database', 'files', 'role'])
    // To another host everything of the old copy goes, secrets aside.
    expect(names(retireSteps('shared'))).to.deep.equal(['vhost', 'tls', 'db-list', 'database', 'files'])
  })
})
