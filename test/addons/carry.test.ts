import {expect} from 'chai'
import {assertSharedRuns} from '../../src/lib/addons/deploy/carry.js'
import {addonSetOf} from '../../src/lib/addons/deploy/layout.js'
import {ExitCode} from '../../src/lib/errors.js'
import type {HostRecord} from '../../src/lib/state/records.js'
import {shared, tenant} from './fake-deploy-host.js'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)

describe('addons follow a moving tenant', () => {
  const host: HostRecord = {id: 'h1', address: '10.0.0.1', port: 22, user: 'root', services: {'17.0': {...shared, addons: [{repo: 'x', sha256: A}]}}}

  it('a shared tenant runs its service\'s set, a dedicated one its own', () => {
    expect(addonSetOf(tenant('s'), host)).to.deep.equal([{repo: 'x', sha256: A}])
    expect(addonSetOf(tenant('d', {mode: 'dedicated', addons: [{repo: 'y', sha256: B}]}), host)).to.deep.equal([{repo: 'y', sha256: B}])
    expect(addonSetOf(tenant('d', {mode: 'dedicated'}), host)).to.deep.equal([])
  })

  it('a move into a shared service that lacks a release is refused (exit 2), naming the deploy that fixes it', () => {
    const t = tenant('d', {mode: 'dedicated'})
    expect(() => assertSharedRuns(t, [{repo: 'x', sha256: A}], host, host.services!['17.0'])).to.not.throw()
    expect(() => assertSharedRuns(t, [], host, undefined)).to.not.throw()
    try {
      assertSharedRuns(t, [{repo: 'x', sha256: A}, {repo: 'y', sha256: B}], host, host.services!['17.0'])
      expect.fail('expected an error')
    } catch (error) {
      expect(error).to.include({code: 'MOVE_ADDONS_MISSING', exit: ExitCode.USAGE})
      expect((error as Error).message).to.include(`y ${B.slice(0, 12)}`)
      expect((error as {suggestions: string[]}).suggestions[0]).to.equal('Deploy them to that service first (every tenant on it gets them): odoops addons deploy x y --host h1')
    }
  })
})
