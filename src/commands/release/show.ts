import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {addonsChangeOf, getRelease, type Release} from '../../lib/release/record.js'
import {formatMs} from '../../lib/release/view.js'

export interface ReleaseShowOutput {
  release: Release
}

export default class ReleaseShow extends OdoopsCommand<ReleaseShowOutput> {
  static override summary = 'show a release: its plan, rehearsal and rollout, per host and tenant'
  static override description = `Read from the state store only. The JSON is the release record itself: hosts (from, to, tenants with their -u list, changed modules and template smoke checks, addons: the services whose addon releases switch, from and to sets), rehearsal (per tenant: ok, backup, durationMs, error) and apply (per host: phase, kept packages, addonsSwitched per service, per tenant: backup, upgrade, upgradeMs, downtimeMs, check, smoke, restored; rollback with its reason and checks). See docs/releases.md.`
  static override args = {release: Args.string({description: 'the release id', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> rel-20261204T101500-ab12 --json']

  async run(): Promise<ReleaseShowOutput> {
    const {args} = await this.parse(ReleaseShow)
    const release = await getRelease(await this.state(), args.release)
    this.ui.log(`Release ${release.id}: Odoo ${release.series}, ${release.state}${release.error ? ` (${release.error.message})` : ''}`)
    this.ui.table(
      release.hosts.flatMap((h) => h.tenants.map((t) => ({h, t}))),
      [
        {header: 'Tenant', get: ({t}) => t.slug},
        {header: 'Host', get: ({h}) => h.host},
        {header: 'Build', get: ({h}) => (h.from === h.to ? `${h.from} (kept)` : `${h.from} → ${h.to}`)},
        {header: 'Addons', get: ({h, t}) => addonsChangeOf(h, t)?.to.map((e) => `${e.repo}@${e.sha256.slice(0, 12)}`).join(', ') ?? ''},
        {header: 'Rehearsal', get: ({t}) => {
          const r = release.rehearsal?.tenants[t.slug]
          return r ? (r.ok ? `passed (${formatMs(r.durationMs ?? 0)})` : 'FAILED') : ''
        }},
        {header: 'Host phase', get: ({h}) => release.apply?.hosts[h.host]?.phase ?? ''},
        {header: 'Upgrade', get: ({h, t}) => release.apply?.hosts[h.host]?.tenants[t.slug]?.upgrade ?? ''},
        {header: 'Downtime', get: ({h, t}) => {
          const ms = release.apply?.hosts[h.host]?.tenants[t.slug]?.downtimeMs
          return ms === undefined ? '' : formatMs(ms)
        }},
      ],
    )
    return {release}
  }
}
