import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {ExitCode} from '../../lib/errors.js'
import type {Release} from '../../lib/release/record.js'
import {rehearseRelease} from '../../lib/release/rehearse.js'
import {formatMs} from '../../lib/release/view.js'

export interface ReleaseRehearseOutput {
  release: Release
  /** Tenants whose rehearsal succeeded (not named "passed": output redaction takes pass… names for secrets). */
  succeeded: number
  failed: number
}

export default class ReleaseRehearse extends OdoopsCommand<ReleaseRehearseOutput> {
  static override usesSsh = true
  static override summary = "rehearse a release on copies: each tenant's newest verified backup, neutralized, updated by the new build"
  static override description = `For every tenant of the release: its newest verified backup is restored as a neutralized copy (odoo neutralize: no crons, no outgoing mail) beside it on its host (or on --on), the release's build, unpacked beside the installed one, runs odoo -u on the copy, the copy is checked (nothing left to upgrade, every changed module at the build's version) and dropped. Live databases and the installed package are never touched. The outcome per tenant (passed or failed with Odoo's error, -u duration) is saved on the release; apply leaves out every host with a failed tenant unless --include-failed. Exit 1 when a tenant failed. See docs/releases.md.`
  static override audited = true
  static override args = {release: Args.string({description: 'the release id (release plan)', required: true})}
  static override flags = {
    on: Flags.string({description: 'restore the copies on this host (prepared for the series) instead of each tenant\'s own'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> rel-20261204T101500-ab12', '<%= config.bin %> <%= command.id %> rel-20261204T101500-ab12 --on staging1 --json']

  async run(): Promise<ReleaseRehearseOutput> {
    const {args, flags} = await this.parse(ReleaseRehearse)
    this.handlesInterrupt = true
    const release = await rehearseRelease(
      {store: await this.state(), box: await this.secretBox(), dataDir: this.dirs.dataDir, signal: this.abort.signal},
      args.release,
      {...(flags.on ? {on: flags.on} : {}), progress: (line) => this.ui.note(line)},
    )
    const results = Object.entries(release.rehearsal!.tenants)
    const failed = results.filter(([, r]) => !r.ok).length
    this.auditContext = {details: {release: release.id, succeeded: results.length - failed, failed, tenants: Object.fromEntries(results.map(([slug, r]) => [slug, {ok: r.ok, durationMs: r.durationMs}]))}}
    this.ui.table(results, [
      {header: 'Tenant', get: ([slug]) => slug},
      {header: 'On', get: ([, r]) => r.host},
      {header: 'Backup', get: ([, r]) => r.backup ?? ''},
      {header: 'Result', get: ([, r]) => (r.ok ? 'passed' : 'FAILED')},
      {header: '-u', get: ([, r]) => (r.durationMs === undefined ? '' : formatMs(r.durationMs))},
      {header: 'Error', get: ([, r]) => (r.error ?? '').split('\n').at(-1) ?? ''},
    ])
    if (failed) process.exitCode = ExitCode.FAILURE
    return {release, succeeded: results.length - failed, failed}
  }
}
