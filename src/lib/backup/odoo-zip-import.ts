import {resolve} from 'node:path'
import {getHost} from '../hosts/lookup.js'
import {createTenant, type TenantCreateResult} from '../tenants/create.js'
import {normalizeCreateInput} from '../tenants/input.js'
import {checkFleetUnique, pickSeries} from '../tenants/preflight.js'
import {inspectOdooZip, odooZipSource, type OdooZipContents} from './odoo-zip-source.js'
import type {RestoreEnv} from './restore.js'

export interface OdooZipImportInput {
  file: string
  slug: string
  host: string
  domain: string
  mode: string
  customer?: string
  size?: string
  asCopy: boolean
  neutralize: boolean
}

export interface OdooZipImportResult {
  file: string
  contents: OdooZipContents
  created: TenantCreateResult
}

/**
 * `backup import <file.zip> --new-tenant …`: a zip from Odoo's database manager (or from
 * `backup export`) becomes a new tenant by the usual creation plan, its data loaded from
 * the zip: dump.sql through psql with ON_ERROR_STOP (an SQL error fails the import, where
 * Odoo's own restore would go on silently), filestore/ unpacked. The series comes from the
 * zip's manifest.json and must be prepared on the host.
 */
export async function importOdooZip(env: RestoreEnv, input: OdooZipImportInput): Promise<OdooZipImportResult> {
  const file = resolve(input.file)
  const contents = await inspectOdooZip(file)
  const createInput = normalizeCreateInput({slug: input.slug, host: input.host, mode: input.mode, domain: input.domain, series: contents.manifest?.major_version, customer: input.customer, size: input.size})
  await checkFleetUnique(env.store, createInput.slug, createInput.domain)
  const {series} = pickSeries(await getHost(env.store, input.host), createInput.series)
  const created = await createTenant(
    {...env, restoreSource: odooZipSource(file)},
    {...createInput, series, modules: Object.keys(contents.manifest?.modules ?? {}).filter((m) => m !== 'base').sort(), restore: {from: {kind: 'zip', path: file}, asCopy: input.asCopy, neutralize: input.neutralize}},
  )
  return {file, contents, created}
}
