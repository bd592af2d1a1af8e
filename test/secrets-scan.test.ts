import {expect} from 'chai'
import type {Suite} from 'mocha'
import {dataDirTexts, findLeaks, recordedOutputs, rememberTestSecret, testSecrets} from './helpers/secrets.js'

/**
 * The end-of-run secrets scan: every stdout/stderr the CLI produced in this test run
 * (test/helpers/cli.ts records them) and every file odoops wrote under the data dirs the
 * tests used (audit trail, state) must contain none of the secrets the tests created
 * (test/helpers/secrets.ts `rememberTestSecret` / `newTestSecret`).
 *
 * It must run after every other test. Mocha's file order follows its glob and is not a
 * contract, so the suite moves itself to the end of the root suite in a root `before`
 * hook, which runs once every spec file has been loaded and before any test.
 */
const scan: Suite = describe('secrets scan (runs last)', () => {
  it('finds a planted leak (the scan itself works)', () => {
    const planted = 'planted-secret-value-1234'
    const leaks = findLeaks([{source: 'clean', text: 'nothing here ********'}, {source: `odoops x --password ${planted}`, text: `oops ${planted}`}], [planted])
    expect(leaks).to.deep.equal([{source: 'odoops x --password <secret>', secretPrefix: 'plan…'}])
  })

  it('no secret created during the run appears in any CLI output or stored audit event', function () {
    // The key every CLI run of the tests encrypts with (test/setup.ts, isolatedEnv) is a secret too.
    if (process.env.ODOOPS_SECRET_KEY) rememberTestSecret(process.env.ODOOPS_SECRET_KEY)
    const outputs = recordedOutputs()
    const secrets = testSecrets()
    // Run alone or with a --grep that left out the CLI tests: nothing to scan.
    if (outputs.length === 0 || secrets.length === 0) this.skip()
    const leaks = findLeaks([...outputs, ...dataDirTexts()], secrets)
    expect(leaks, `secrets found in output (${secrets.length} secrets, ${outputs.length} outputs scanned)`).to.deep.equal([])
  })
})

before(function moveSecretsScanLast() {
  const root = scan.parent
  if (!root) return
  root.suites.splice(root.suites.indexOf(scan), 1)
  root.suites.push(scan)
})
