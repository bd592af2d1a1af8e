import {OdoopsError} from '../errors.js'
import {registerSecret} from '../secrets/redact.js'
import type {SecretBox} from '../secrets/secret-box.js'
import {readSecret} from '../secrets/vault.js'
import type {StateStore} from '../state/store.js'

export interface SecretSource {
  store: Pick<StateStore, 'secrets'>
  /** Opened only when a channel names a stored secret. */
  box?: () => Promise<SecretBox>
  env?: NodeJS.ProcessEnv
}

/**
 * A channel credential from an environment variable or the secret vault; registered for
 * redaction the moment it is read, so no log line, event or audit entry can carry it.
 */
export async function channelSecret(source: SecretSource, what: string, ref: {env?: string; secret?: string}): Promise<string | undefined> {
  let value: string | undefined
  if (ref.env) {
    value = (source.env ?? process.env)[ref.env]
    if (!value) throw new OdoopsError('NOTIFY_SECRET_MISSING', `${what}: environment variable ${ref.env} is not set.`, {suggestions: [`Set ${ref.env} for the scheduler (systemd: Environment= or EnvironmentFile=).`]})
  } else if (ref.secret) {
    if (!source.box) throw new OdoopsError('NOTIFY_SECRET_MISSING', `${what}: the secret "${ref.secret}" needs the secret key, which is not available here.`)
    value = await readSecret(source.store, await source.box(), ref.secret)
    if (value === undefined) throw new OdoopsError('NOTIFY_SECRET_MISSING', `${what}: no secret "${ref.secret}" in the state store.`, {suggestions: ['Store it in the vault under that id, or name an environment variable instead (…Env).']})
  }
  registerSecret(value)
  return value
}
