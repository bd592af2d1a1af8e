import type {PackOdoo} from 'odoops'
import {parseCsv} from './csv.js'

/** One price of the file: a product (by Internal Reference) in a pricelist from a quantity on. */
export interface PriceRow {
  line: number
  pricelist: string
  productCode: string
  minQuantity: number
  price: number
}

export interface RowIssue {
  line: number
  message: string
}

export const COLUMNS = ['pricelist', 'product_code', 'min_quantity', 'price'] as const

/**
 * Reads and checks the file: the header names the columns (any order; min_quantity may be
 * left out), every row has a pricelist, a product code, a quantity >= 0 and a price >= 0
 * with at most 2 decimals (Odoo's default "Product Price" precision), and no price is given
 * twice for the same pricelist, product and quantity. Every problem is returned, with its line.
 */
export function readPriceRows(text: string): {rows: PriceRow[]; issues: RowIssue[]} {
  const issues: RowIssue[] = []
  let records: {line: number; fields: string[]}[]
  try {
    records = parseCsv(text)
  } catch (error) {
    return {rows: [], issues: [{line: 0, message: (error as Error).message}]}
  }
  if (records.length === 0) return {rows: [], issues: [{line: 1, message: `the file is empty: the first line names the columns (${COLUMNS.join(',')})`}]}
  const header = records[0].fields.map((f) => f.trim().toLowerCase())
  const unknown = header.filter((h) => !(COLUMNS as readonly string[]).includes(h))
  const missing = COLUMNS.filter((c) => c !== 'min_quantity' && !header.includes(c))
  if (unknown.length || missing.length) {
    issues.push({line: records[0].line, message: [unknown.length ? `unknown column(s) ${unknown.join(', ')}` : '', missing.length ? `missing column(s) ${missing.join(', ')}` : ''].filter(Boolean).join('; ') + ` (columns: ${COLUMNS.join(',')})`})
    return {rows: [], issues}
  }
  const at = (fields: string[], column: string) => (fields[header.indexOf(column)] ?? '').trim()
  const rows: PriceRow[] = []
  const seen = new Map<string, number>()
  for (const {line, fields} of records.slice(1)) {
    if (fields.length !== header.length) {
      issues.push({line, message: `${fields.length} fields, the header has ${header.length}`})
      continue
    }
    const pricelist = at(fields, 'pricelist')
    const productCode = at(fields, 'product_code')
    const quantityText = header.includes('min_quantity') ? at(fields, 'min_quantity') : ''
    const priceText = at(fields, 'price')
    const problems: string[] = []
    if (!pricelist) problems.push('no pricelist')
    else if (pricelist.length > 80) problems.push('pricelist name longer than 80 characters')
    if (!productCode) problems.push('no product_code')
    const minQuantity = quantityText === '' ? 0 : Number(quantityText)
    if (!/^\d+(\.\d+)?$/.test(quantityText || '0') || !Number.isFinite(minQuantity)) problems.push(`min_quantity "${quantityText}" is not a number >= 0`)
    const price = Number(priceText)
    if (!/^\d+(\.\d{1,2})?$/.test(priceText)) problems.push(`price "${priceText}" is not an amount >= 0 with at most 2 decimals (e.g. 12.50)`)
    if (problems.length) {
      issues.push({line, message: problems.join('; ')})
      continue
    }
    const key = `${pricelist}\0${productCode}\0${minQuantity}`
    const first = seen.get(key)
    if (first !== undefined) {
      issues.push({line, message: `${productCode} from quantity ${minQuantity} in "${pricelist}" is already priced on line ${first}`})
      continue
    }
    seen.set(key, line)
    rows.push({line, pricelist, productCode, minQuantity, price})
  }
  if (rows.length === 0 && issues.length === 0) issues.push({line: 2, message: 'no prices in the file'})
  return {rows, issues}
}

export type ChangeAction = 'create' | 'update' | 'unchanged'

export interface PriceChange {
  line: number
  pricelist: string
  productCode: string
  minQuantity: number
  price: number
  action: ChangeAction
  /** The price before, for updates. */
  previousPrice?: number
}

export interface ImportPlan {
  /** Pricelists the file names that do not exist yet (created on import). */
  newPricelists: string[]
  existingPricelists: string[]
  changes: PriceChange[]
  issues: RowIssue[]
}

interface OdooPricelist {
  id: number
  name: string
  active: boolean
}
interface OdooProduct {
  id: number
  default_code: string
  product_tmpl_id: [number, string]
}
interface OdooItem {
  id: number
  pricelist_id: [number, string]
  product_tmpl_id: [number, string] | false
  min_quantity: number
  fixed_price: number
}

/** Odoo stores prices with 2 decimals here: equal to the cent is equal. */
const samePrice = (a: number, b: number) => Math.round(a * 100) === Math.round(b * 100)

/**
 * What importing `rows` would change in Odoo, read through XML-RPC (nothing written):
 * products by Internal Reference (product.product default_code), pricelists by name
 * (archived ones too), and each product's fixed-price rules (product.pricelist.item,
 * applied_on 1_product). Unknown products and archived pricelists are issues.
 */
export async function planImport(odoo: PackOdoo, rows: PriceRow[]): Promise<ImportPlan> {
  const names = [...new Set(rows.map((r) => r.pricelist))]
  const codes = [...new Set(rows.map((r) => r.productCode))]
  const pricelists = await odoo.call<OdooPricelist[]>('product.pricelist', 'search_read', [[['name', 'in', names]]], {fields: ['name', 'active'], context: {active_test: false}})
  const products = await odoo.call<OdooProduct[]>('product.product', 'search_read', [[['default_code', 'in', codes]]], {fields: ['default_code', 'product_tmpl_id'], context: {active_test: false}})
  const issues: RowIssue[] = []
  const productOf = new Map(products.map((p) => [p.default_code, p]))
  for (const row of rows) if (!productOf.has(row.productCode)) issues.push({line: row.line, message: `no product with Internal Reference "${row.productCode}" in Odoo`})
  for (const p of pricelists.filter((x) => !x.active)) {
    const line = rows.find((r) => r.pricelist === p.name)!.line
    issues.push({line, message: `pricelist "${p.name}" is archived in Odoo: unarchive it first, or use another name`})
  }
  const existing = pricelists.filter((p) => p.active)
  const items = existing.length
    ? await odoo.call<OdooItem[]>('product.pricelist.item', 'search_read', [[['pricelist_id', 'in', existing.map((p) => p.id)], ['applied_on', '=', '1_product'], ['compute_price', '=', 'fixed']]], {
        fields: ['pricelist_id', 'product_tmpl_id', 'min_quantity', 'fixed_price'],
      })
    : []
  const changes: PriceChange[] = []
  for (const row of rows) {
    const product = productOf.get(row.productCode)
    if (!product) continue
    const pricelist = existing.find((p) => p.name === row.pricelist)
    const item = pricelist && items.find((i) => i.pricelist_id[0] === pricelist.id && i.product_tmpl_id && i.product_tmpl_id[0] === product.product_tmpl_id[0] && i.min_quantity === row.minQuantity)
    const base = {line: row.line, pricelist: row.pricelist, productCode: row.productCode, minQuantity: row.minQuantity, price: row.price}
    if (!item) changes.push({...base, action: 'create'})
    else if (samePrice(item.fixed_price, row.price)) changes.push({...base, action: 'unchanged'})
    else changes.push({...base, action: 'update', previousPrice: item.fixed_price})
  }
  return {
    newPricelists: names.filter((n) => !pricelists.some((p) => p.name === n)),
    existingPricelists: existing.map((p) => p.name).sort(),
    changes,
    issues: issues.sort((a, b) => a.line - b.line),
  }
}

/**
 * The field the pack's Odoo module (addons/odoops_wholesale, addon repository `wholesale`)
 * adds to price rules: the file and line that last set the price.
 */
export const SOURCE_FIELD = 'odoops_wholesale_source'

/**
 * Whether the tenant's Odoo has the pack's field, i.e. runs odoops_wholesale (the wholesale
 * template installs it; a tenant made otherwise may not have it, and imports all the same).
 */
export async function hasSourceField(odoo: PackOdoo): Promise<boolean> {
  const fields = await odoo.call<Record<string, unknown>>('product.pricelist.item', 'fields_get', [[SOURCE_FIELD]], {attributes: ['type']})
  return Object.hasOwn(fields, SOURCE_FIELD)
}

/**
 * Writes the plan: new pricelists, then each created or changed price. Safe to run again: it
 * re-plans from what Odoo holds. With `source` (the file's name, when the tenant has the
 * pack's field), each price written records `<source>:<line>`.
 */
export async function applyImport(odoo: PackOdoo, plan: ImportPlan, source?: string): Promise<void> {
  const ids = new Map<string, number>()
  for (const name of plan.newPricelists) ids.set(name, await odoo.call<number>('product.pricelist', 'create', [{name}]))
  const existing = await odoo.call<{id: number; name: string}[]>('product.pricelist', 'search_read', [[['name', 'in', plan.existingPricelists]]], {fields: ['name']})
  for (const p of existing) ids.set(p.name, p.id)
  const codes = [...new Set(plan.changes.map((c) => c.productCode))]
  const products = await odoo.call<OdooProduct[]>('product.product', 'search_read', [[['default_code', 'in', codes]]], {fields: ['default_code', 'product_tmpl_id'], context: {active_test: false}})
  const template = new Map(products.map((p) => [p.default_code, p.product_tmpl_id[0]]))
  for (const change of plan.changes) {
    const pricelistId = ids.get(change.pricelist)!
    const tmpl = template.get(change.productCode)!
    const origin = source === undefined ? {} : {[SOURCE_FIELD]: `${source}:${change.line}`}
    if (change.action === 'create') {
      await odoo.call('product.pricelist.item', 'create', [
        {pricelist_id: pricelistId, applied_on: '1_product', product_tmpl_id: tmpl, compute_price: 'fixed', min_quantity: change.minQuantity, fixed_price: change.price, ...origin},
      ])
    } else if (change.action === 'update') {
      const [item] = await odoo.call<number[]>('product.pricelist.item', 'search', [[['pricelist_id', '=', pricelistId], ['product_tmpl_id', '=', tmpl], ['applied_on', '=', '1_product'], ['compute_price', '=', 'fixed'], ['min_quantity', '=', change.minQuantity]]], {limit: 1})
      await odoo.call('product.pricelist.item', 'write', [[item], {fixed_price: change.price, ...origin}])
    }
  }
}
