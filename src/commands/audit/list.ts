import {Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {displayCommandId, normalizeCommandId, parseSince} from '../../lib/audit/audit.js'
import {formatDuration} from '../../lib/output/format.js'
import type {AuditEvent} from '../../lib/state/records.js'

export type AuditListResult = {events: AuditEvent[]}

export default class AuditList extends OdoopsCommand<AuditListResult> {
  static override summary = 'list audit events: who changed what, when, and how it ended'
  static override description = 'Events are listed oldest first; --limit keeps the newest N. Arguments are shown as recorded, with secrets redacted.'
  static override flags = {
    since: Flags.string({description: 'only events since a duration back from now (30m, 24h, 7d, 2w) or an ISO date/time'}),
    tenant: Flags.string({description: 'only events about this tenant'}),
    host: Flags.string({description: 'only events about this host'}),
    command: Flags.string({description: 'only events of this command, e.g. "config set"'}),
    limit: Flags.integer({description: 'at most this many events (the newest)', min: 1, default: 100}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> --since 24h',
    '<%= config.bin %> <%= command.id %> --tenant acme --since 2025-01-01 --json',
    '<%= config.bin %> <%= command.id %> --command "config set" --limit 10',
  ]

  async run(): Promise<AuditListResult> {
    const {flags} = await this.parse(AuditList)
    const store = await this.state()
    const events = await store.audit.list({
      since: flags.since === undefined ? undefined : parseSince(flags.since),
      tenant: flags.tenant,
      host: flags.host,
      command: flags.command === undefined ? undefined : normalizeCommandId(flags.command),
      limit: flags.limit,
    })
    this.ui.table(events, [
      {header: 'Time', get: (e) => e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')},
      {header: 'User', get: (e) => `${e.user}@${e.machine}`},
      {header: 'Command', get: (e) => [displayCommandId(e.command), ...e.args].join(' ')},
      {header: 'Outcome', get: (e) => (e.outcome === 'ok' ? e.outcome : `${e.outcome} (${e.exitCode})`)},
      {header: 'Duration', get: (e) => formatDuration(e.durationMs), align: 'right'},
      {header: 'Tenant/Host', get: (e) => [e.tenant, e.host].filter(Boolean).join('/')},
    ])
    return {events}
  }
}
