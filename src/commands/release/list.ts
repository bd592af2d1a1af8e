import {OdoopsCommand} from '../../cli/base-command.js'
import type {Release} from '../../lib/release/record.js'

export interface ReleaseListOutput {
  releases: {id: string; createdAt?: string; series: string; state: string; addons?: {repo: string; sha256: string}[]; hosts: {host: string; from: string; to: string; tenants: number; addons?: number}[]}[]
}

export default class ReleaseList extends OdoopsCommand<ReleaseListOutput> {
  static override summary = 'list releases, newest first'
  static override description = 'Read from the state store only. See docs/releases.md.'
  static override examples = ['<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<ReleaseListOutput> {
    await this.parse(ReleaseList)
    const all = ((await (await this.state()).releases.list()) as Release[]).sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''))
    const releases = all.map((r) => ({
      id: r.id,
      ...(r.createdAt ? {createdAt: r.createdAt} : {}),
      series: r.series,
      state: r.state,
      ...(r.addons ? {addons: r.addons} : {}),
      hosts: r.hosts.map((h) => ({host: h.host, from: h.from, to: h.to, tenants: h.tenants.length, ...(h.addons?.length ? {addons: h.addons.length} : {})})),
    }))
    if (releases.length === 0) this.ui.log('No releases yet: odoops release plan --all')
    else
      this.ui.table(releases, [
        {header: 'Release', get: (r) => r.id},
        {header: 'Series', get: (r) => r.series},
        {header: 'State', get: (r) => r.state},
        {header: 'Hosts', get: (r) => r.hosts.map((h) => `${h.host} ${h.from === h.to ? h.from : `${h.from}→${h.to}`}${h.addons ? ` +addons×${h.addons}` : ''} (${h.tenants})`).join('; ')},
        {header: 'Addons', get: (r) => (r.addons ?? []).map((a) => `${a.repo}@${a.sha256.slice(0, 12)}`).join(', ')},
      ])
    return {releases}
  }
}
