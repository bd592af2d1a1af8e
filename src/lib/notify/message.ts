import type {FailureNotice, Notice} from './types.js'

/** Who a failure is about, for people: the tenant, or a release's host or the release itself. */
function failedFor(notice: FailureNotice): string {
  if (notice.host) return `host ${notice.host}${notice.release ? ` (release ${notice.release})` : ''}`
  if (notice.release) return `release ${notice.release}`
  return `tenant ${notice.tenant}`
}

/** One-line subject of a notice (mail subject, Slack text). */
export function noticeSubject(notice: Notice): string {
  if (notice.type === 'failure') return `[odoops] ${notice.job} failed for ${notice.host ?? notice.tenant}: ${notice.error.code}`
  const counts = `${notice.ok.length} ok, ${notice.failed.length} failed, ${notice.skipped.length} skipped`
  return `[odoops] ${notice.job} ${notice.outcome}: ${counts}`
}

/** Plain-text body (mail, and the Slack block). */
export function noticeText(notice: Notice): string {
  if (notice.type === 'failure') {
    return [
      `Job ${notice.job} (${notice.kind}) failed for ${failedFor(notice)}.`,
      `${notice.error.code}: ${notice.error.message}`,
      `Run ${notice.run} on ${notice.machine} at ${notice.time}.`,
    ].join('\n')
  }
  const lines = [`Job ${notice.job} (${notice.kind}${notice.release ? ` of release ${notice.release}` : ''}), run ${notice.run} on ${notice.machine}: ${notice.outcome} in ${Math.round(notice.durationMs / 1000)} s.`]
  if (notice.ok.length > 0) lines.push(`OK (${notice.ok.length}): ${notice.ok.join(', ')}`)
  for (const f of notice.failed) lines.push(`FAILED ${f.tenant}: ${f.code}: ${f.message}`)
  for (const s of notice.skipped) lines.push(`skipped ${s.tenant}: ${s.reason}`)
  return lines.join('\n')
}
