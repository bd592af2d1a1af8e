/**
 * Notification channels, declared in the schedule file under `channels`. Secrets are never
 * written there: a channel names an environment variable (`…Env`) or a state-store secret
 * id (`…Secret`, sealed with the SecretBox) that holds them.
 */
export interface WebhookChannel {
  type: 'webhook'
  /** Endpoint URL; or name it with urlEnv / urlSecret when the URL itself is a credential (Slack). */
  url?: string
  urlEnv?: string
  urlSecret?: string
  /** `json` (default): the event document; `slack`: {text, blocks} as Slack incoming webhooks expect. */
  format?: 'json' | 'slack'
  /** Bearer token sent as `Authorization: Bearer …`. */
  tokenEnv?: string
  tokenSecret?: string
}

export interface EmailChannel {
  type: 'email'
  host: string
  port?: number
  /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. */
  secure?: boolean
  user?: string
  passwordEnv?: string
  passwordSecret?: string
  from: string
  to: string[]
}

export type ChannelSpec = WebhookChannel | EmailChannel

/** What a notification is about. */
export interface FailureNotice {
  type: 'failure'
  job: string
  kind: string
  run: string
  /** The unit that failed: a tenant slug, `*` (fleet-wide jobs); for release jobs the host rolled back, or the release id when the failure is the release's. */
  tenant: string
  /** release jobs: the host that failed (absent when the failure is the release's own). */
  host?: string
  /** release jobs: the release. */
  release?: string
  error: {code: string; message: string}
  machine: string
  time: string
}

export interface SummaryNotice {
  type: 'summary'
  job: string
  kind: string
  run: string
  outcome: 'ok' | 'partial' | 'failed' | 'interrupted' | 'skipped'
  /** release jobs: the release; `ok`, `failed` and `skipped` then name its hosts (or the release, for what is the release's own). */
  release?: string
  ok: string[]
  failed: {tenant: string; code: string; message: string}[]
  skipped: {tenant: string; reason: string}[]
  durationMs: number
  machine: string
  time: string
}

export type Notice = FailureNotice | SummaryNotice
