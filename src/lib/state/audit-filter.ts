import type {AuditEvent} from './records.js'
import type {AuditFilter} from './store.js'

/** The audit filter both backends apply (postgres in SQL, local here): newest last, `limit` keeps the newest. */
export function filterAudit(events: AuditEvent[], filter: AuditFilter): AuditEvent[] {
  let out = events.filter(
    (e) =>
      (!filter.since || e.time >= filter.since) &&
      (!filter.tenant || e.tenant === filter.tenant) &&
      (!filter.host || e.host === filter.host) &&
      (!filter.command || e.command === filter.command),
  )
  out.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))
  if (filter.limit !== undefined && out.length > filter.limit) out = out.slice(out.length - filter.limit)
  return out
}
