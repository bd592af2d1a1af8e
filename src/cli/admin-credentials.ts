import {writeFile} from 'node:fs/promises'
import type {Ui} from '../lib/output/ui.js'

/** Where a new tenant's admin login went: a 0600 file, or shown once on the terminal. Never in JSON. */
export interface AdminLoginDelivery {
  login: string
  file?: string
  shown: boolean
}

/**
 * Hands the admin password of a new tenant to the person who asked: written to a file with
 * mode 0600, or printed once past the redaction layer (never logged, audited or in JSON).
 */
export async function deliverAdminLogin(
  ui: Ui,
  login: {url: string; database: string; login: string; password: string},
  file: string | undefined,
): Promise<AdminLoginDelivery> {
  const delivery: AdminLoginDelivery = {login: login.login, shown: false}
  if (file) {
    await writeFile(file, `url=${login.url}\ndatabase=${login.database}\nlogin=${login.login}\npassword=${login.password}\n`, {mode: 0o600})
    delivery.file = file
    ui.log(`Admin login written to ${file} (mode 0600).`)
  } else if (!ui.json) {
    process.stdout.write(`Admin login (shown once, store it now): ${login.login} / ${login.password}\n`)
    delivery.shown = true
  }
  return delivery
}
