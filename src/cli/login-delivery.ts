import {writeCredentialsFile} from '../lib/credentials/file.js'
import type {Ui} from '../lib/output/ui.js'

/** Where a new tenant's initial logins went: a 0600 file, or shown once on the terminal. Never in JSON. */
export interface LoginDelivery {
  file?: string
  shown: boolean
}

/** Where a new tenant's admin login went (tenant create, backup restore/import --new-tenant). */
export interface AdminLoginDelivery extends LoginDelivery {
  login: string
}

/**
 * Hands initial passwords to the person who asked: written to a credentials file (mode
 * 0600, lib/credentials/file.ts), or printed once past the redaction layer (never logged,
 * audited or in JSON). Every command that creates logins delivers them through here.
 */
export async function deliverLogins(
  ui: Ui,
  tenant: {url: string; database: string; logins: {login: string; password: string}[]},
  file: string | undefined,
  heading: string,
  /** How people are told about them: "Initial logins" (onboarding), "Admin login" (a new tenant). */
  what: 'Initial logins' | 'Admin login' = 'Initial logins',
): Promise<LoginDelivery> {
  const {logins} = tenant
  if (!logins.length) return {shown: false}
  if (file) {
    await writeCredentialsFile(file, {url: tenant.url, database: tenant.database, logins}, heading)
    ui.log(`${what} written to ${file} (mode 0600).`)
    return {file, shown: false}
  }
  if (ui.json) return {shown: false}
  ui.revealOnce(
    what === 'Initial logins'
      ? `Initial logins (shown once, store them now):\n${logins.map((l) => `  ${l.login} / ${l.password}`).join('\n')}`
      : `Admin login (shown once, store it now): ${logins[0].login} / ${logins[0].password}`,
  )
  return {shown: true}
}

export async function deliverAdminLogin(
  ui: Ui,
  login: {url: string; database: string; login: string; password: string},
  file: string | undefined,
): Promise<AdminLoginDelivery> {
  const delivery = await deliverLogins(ui, {url: login.url, database: login.database, logins: [{login: login.login, password: login.password}]}, file, `odoops: admin login of ${login.database}.`, 'Admin login')
  return {login: login.login, ...delivery}
}
