import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {formatDuration} from '../../lib/output/format.js'
import {showTenant, type TenantDetail} from '../../lib/tenants/listing.js'
import {addonsCell} from '../../lib/tenants/view.js'

export type TenantShowOutput = TenantDetail

export default class TenantShow extends OdoopsCommand<TenantShowOutput> {
  static override summary = 'show a tenant: every recorded fact and the steps of its last operation'
  static override description = 'Read from the state store only (no secrets are shown); tenant status checks the host.'
  static override args = {slug: Args.string({description: 'tenant slug', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> acme', '<%= config.bin %> <%= command.id %> acme --json']

  async run(): Promise<TenantShowOutput> {
    const {args} = await this.parse(TenantShow)
    const t = await showTenant(await this.state(), args.slug)
    const facts: [string, string][] = [
      ['Tenant', t.slug],
      ['State', t.state === t.recordedState ? t.state : `${t.state} (recorded ${t.recordedState})`],
      ['Host', t.host],
      ['Mode', t.mode + (t.service?.size ? ` (${t.service.size})` : '')],
      ['Odoo', t.series],
      ['Domain', t.aliases?.length ? `${t.domain} (aliases: ${t.aliases.join(', ')})` : t.domain],
      ['Database', t.database],
      ['Customer', t.customer ?? ''],
      ['Plan', t.plan ?? ''],
      ['Modules', t.modules.join(', ')],
      ['Addons', t.addons.length ? `${addonsCell(t.addons)}${t.mode === 'shared' ? ' (shared service)' : ''}` : ''],
      ['Language', t.lang ?? ''],
      ['Country', t.country ?? ''],
    ]
    if (t.service) {
      facts.push(
        ['Service', t.service.unit],
        ['Ports', `http ${t.service.httpPort}, gevent ${t.service.geventPort}`],
        ['Config', t.service.config],
        ['Data dir', t.service.dataDir],
        ['DB role', t.service.role],
      )
    }
    if (t.tls) facts.push(['TLS', `${t.tls.certificate}${t.tls.selfSigned ? ' (self-signed)' : ''}${t.tls.acme ? ' (ACME)' : ''}`])
    for (const r of t.redirects ?? []) facts.push(['Redirect', `${r.names.join(', ')} → https://${t.domain} until ${r.until}${new Date(r.until) <= new Date() ? ' (ended: the next tenant set-domain removes it)' : ''}`])
    if (t.domainChange) facts.push(['Unfinished', `domain change ${t.domainChange.from} → ${t.domainChange.to}: odoops tenant set-domain ${t.slug} --resume`])
    if (t.acme) facts.push(['ACME', `${t.acme.status}${t.acme.failedCheck ? ` (check failed: ${t.acme.failedCheck}): ${t.acme.error ?? ''}` : ''}${t.acme.notAfter ? `, valid until ${t.acme.notAfter}` : ''}`])
    facts.push(['Created', t.createdAt ?? ''], ['Updated', t.updatedAt ?? ''])
    this.ui.table(
      facts.filter(([, v]) => v !== ''),
      [
        {header: 'Fact', get: (r) => r[0]},
        {header: 'Value', get: (r) => r[1]},
      ],
    )
    if (t.operation) {
      const op = t.operation
      this.ui.log('')
      this.ui.log(`Last operation: ${op.kind}, started ${op.startedAt}${op.finishedAt ? `, finished ${op.finishedAt}` : ''}${op.failedStep ? `, failed at ${op.failedStep}` : ''}`)
      if (op.error) this.ui.log(`Error: ${op.error}`)
      this.ui.table(t.steps, [
        {header: 'Step', get: (s) => s.name},
        {header: 'State', get: (s) => s.state},
        {header: 'Change', get: (s) => s.change ?? ''},
        {header: 'Time', get: (s) => (s.durationMs === undefined ? '' : formatDuration(s.durationMs)), align: 'right'},
        {header: 'Detail', get: (s) => s.error ?? s.detail ?? ''},
      ])
    }
    return t
  }
}
