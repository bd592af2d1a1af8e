import {messageOf} from '../errors.js'
import {redact} from '../secrets/redact.js'
import {sendEmail} from './email.js'
import {DEFAULT_RETRY, withRetry, type RetryPolicy} from './retry.js'
import {channelSecret, type SecretSource} from './secrets.js'
import type {ChannelSpec, Notice} from './types.js'
import {postWebhook, webhookBody} from './webhook.js'

export interface NotifyReport {
  channel: string
  type: ChannelSpec['type']
  notice: Notice['type']
  ok: boolean
  attempts: number
  /** Redacted. */
  error?: string
}

export interface NotifierOptions extends SecretSource {
  channels: Record<string, ChannelSpec>
  retry?: RetryPolicy
  /** Each delivery's outcome (the scheduler logs it as a JSON event). */
  onReport?: (report: NotifyReport) => void
}

/**
 * Delivers notices to named channels with retries and backoff. Never throws: a channel
 * that cannot be reached is reported (onReport) and the job goes on as if nothing happened.
 */
export class Notifier {
  private readonly pending = new Set<Promise<NotifyReport[]>>()

  constructor(private readonly options: NotifierOptions) {}

  /** Start delivering (returns at once); `flush()` waits for every delivery started. */
  send(channelNames: readonly string[] | undefined, notice: Notice): void {
    if (!channelNames || channelNames.length === 0) return
    const work = Promise.all(channelNames.map((name) => this.deliver(name, notice)))
    this.pending.add(work)
    void work.finally(() => this.pending.delete(work))
  }

  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  private async deliver(name: string, notice: Notice): Promise<NotifyReport> {
    const channel = this.options.channels[name]
    let report: NotifyReport
    if (!channel) {
      report = {channel: name, type: 'webhook', notice: notice.type, ok: false, attempts: 0, error: `no channel "${name}"`}
    } else {
      try {
        const send = await this.sender(name, channel, notice)
        const outcome = await withRetry(send, this.options.retry ?? DEFAULT_RETRY)
        report = {channel: name, type: channel.type, notice: notice.type, ok: outcome.ok, attempts: outcome.attempts, ...(outcome.error ? {error: redact(outcome.error)} : {})}
      } catch (error) {
        // Resolving the channel's secrets failed: nothing was sent.
        report = {channel: name, type: channel.type, notice: notice.type, ok: false, attempts: 0, error: redact(messageOf(error))}
      }
    }
    try {
      this.options.onReport?.(report)
    } catch {
      // logging must not break delivery bookkeeping
    }
    return report
  }

  private async sender(name: string, channel: ChannelSpec, notice: Notice): Promise<() => Promise<void>> {
    if (channel.type === 'webhook') {
      const url = channel.url ?? (await channelSecret(this.options, `channel ${name} url`, {env: channel.urlEnv, secret: channel.urlSecret}))
      const token = await channelSecret(this.options, `channel ${name} token`, {env: channel.tokenEnv, secret: channel.tokenSecret})
      const body = webhookBody(notice, channel.format)
      return () => postWebhook(url!, body, token)
    }
    const password = await channelSecret(this.options, `channel ${name} password`, {env: channel.passwordEnv, secret: channel.passwordSecret})
    return () => sendEmail(channel, notice, password)
  }
}
