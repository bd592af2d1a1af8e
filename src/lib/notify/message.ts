import type {Notice} from './types.js'

/** One-line subject of a notice (mail subject, Slack text). */
export function noticeSubject(notice: Notice): string {
  if (notice.type === 'failure') return `[odoops] ${notice.job} failed for ${notice.tenant}: ${notice.error.code}`
  const counts = `${notice.ok.length} ok, ${notice.failed.length} failed, ${notice.skipped.length} skipped`
  return `[odoops] ${notice.job} ${notice.outcome}: ${counts}`
}

/** Plain-text body (mail, and the Slack block). */
export function noticeText(notice: Notice): string {
  if (notice.type === 'failure') {
    return [
      `Job ${notice.job} (${notice.kind}) failed for tenant ${notice.tenant}.`,
      `${notice.error.code}: ${notice.error.message}`,
      `Run ${notice.run} on ${notice.machine} at ${notice.time}.`,
    ].join('\n')
  }
  const lines = [`Job ${notice.job} (${notice.kind}), run ${notice.run} on ${notice.machine}: ${notice.outcome} in ${Math.round(notice.durationMs / 1000)} s.`]
  if (notice.ok.length > 0) lines.push(`OK (${notice.ok.length}): ${notice.ok.join(', ')}`)
  for (const f of notice.failed) lines.push(`FAILED ${f.tenant}: ${f.code}: ${f.message}`)
  for (const s of notice.skipped) lines.push(`skipped ${s.tenant}: ${s.reason}`)
  return lines.join('\n')
}
