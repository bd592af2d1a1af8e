import {PermanentError} from './retry.js'
import {noticeSubject, noticeText} from './message.js'
import type {Notice} from './types.js'

const TIMEOUT_MS = 10_000

/** The body POSTed: the notice itself (json), or what Slack-compatible incoming webhooks take. */
export function webhookBody(notice: Notice, format: 'json' | 'slack' = 'json'): unknown {
  if (format === 'slack') {
    const text = noticeSubject(notice)
    return {text, blocks: [{type: 'section', text: {type: 'mrkdwn', text: '```' + noticeText(notice) + '```'}}]}
  }
  return {source: 'odoops', ...notice, subject: noticeSubject(notice)}
}

/** One POST; 5xx, 429 and network errors may be retried, other answers are final. */
export async function postWebhook(url: string, body: unknown, token?: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {'content-type': 'application/json', 'user-agent': 'odoops', ...(token ? {authorization: `Bearer ${token}`} : {})},
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  })
  // Drain the body so the connection can be reused or closed.
  await response.arrayBuffer().catch(() => undefined)
  if (response.ok) return
  const message = `webhook answered ${response.status} ${response.statusText}`.trim()
  if (response.status >= 500 || response.status === 429) throw new Error(message)
  throw new PermanentError(message)
}
