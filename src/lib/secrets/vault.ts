import type {StateTx} from '../state/store.js'
import {generateSecret, type SecretBox} from './secret-box.js'

/**
 * Named secrets in the state store's `secrets` collection, sealed with the SecretBox.
 * Ids are paths naming their owner (`tenant/<slug>/admin-password`,
 * `host/<host>/<series>/db-password`) so removing an owner removes its secrets by prefix.
 */
export async function readSecret(store: Pick<StateTx, 'secrets'>, box: SecretBox, id: string): Promise<string | undefined> {
  const record = await store.secrets.get(id)
  return record ? box.decrypt(record.value) : undefined
}

export async function writeSecret(store: Pick<StateTx, 'secrets'>, box: SecretBox, id: string, value: string): Promise<void> {
  await store.secrets.put({id, value: box.encrypt(value)})
}

/** The stored secret, or a new random one stored first (stable across re-runs of a step). */
export async function ensureSecret(store: Pick<StateTx, 'secrets'>, box: SecretBox, id: string, bytes = 24): Promise<string> {
  const existing = await readSecret(store, box, id)
  if (existing !== undefined) return existing
  const value = generateSecret(bytes)
  await writeSecret(store, box, id, value)
  return value
}

/** Delete every secret whose id starts with `prefix` (e.g. `tenant/acme/`). */
export async function deleteSecrets(store: Pick<StateTx, 'secrets'>, prefix: string): Promise<number> {
  let deleted = 0
  for (const record of await store.secrets.list()) {
    if (record.id.startsWith(prefix) && (await store.secrets.delete(record.id))) deleted++
  }
  return deleted
}

export const secretIds = {
  sharedDbPassword: (host: string, series: string) => `host/${host}/${series}/db-password`,
  sharedMasterPassword: (host: string, series: string) => `host/${host}/${series}/admin-passwd`,
  tenantDbPassword: (slug: string) => `tenant/${slug}/db-password`,
  tenantMasterPassword: (slug: string) => `tenant/${slug}/admin-passwd`,
  /** The Odoo `admin` user's password (replaces admin/admin at creation). */
  tenantAdminPassword: (slug: string) => `tenant/${slug}/admin-password`,
  /** odoops' own API key on the tenant's Odoo (19.0+: JSON-2), owned by base.user_admin, named `odoops` there. */
  tenantApiKey: (slug: string) => `tenant/${slug}/api-key`,
}
