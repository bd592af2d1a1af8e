/**
 * Finding (or creating) what an `account.move` refers to in the partner's Odoo: the customer
 * (`res.partner` by VAT number, then by exact name, else created as a company), the country and
 * currency (by ISO code), the product of a line (`product.product` by Internal Reference
 * `default_code`, else created as a service), and the sales tax of a VAT category and rate
 * (`account.tax` by `amount` and `type_tax_use = 'sale'`; never created: a tax needs accounts and
 * tax grids from the chart of accounts, which only the accountant can choose). Lookups are cached
 * for the run.
 */
import {OdoopsError} from '../../errors.js'
import type {InvoiceLine, InvoiceParty} from '../types.js'
import type {Domain, OdooApi} from './api.js'

export interface ResolvedTax {
  id: number
  name: string
}

/**
 * Decimals Odoo keeps of an `account.move.line`'s quantity and unit price: it rounds each value
 * half-up to them when writing (Float.convert_to_column), then recomputes the subtotal. `null`:
 * the column keeps every digit (`digits` false, e.g. 19.0's price_unit, a plain numeric).
 */
export interface LinePrecision {
  quantity: number | null
  priceUnit: number | null
  /** Fields whose digits fields_get did not give, taken as 2 decimals. */
  assumed: string[]
}

/**
 * When fields_get says nothing about a field's digits (a field hidden from the user, an unusual
 * server), 2 decimals: the default of both "Product Unit of Measure" (19.0: "Product Unit") and
 * "Product Price" decimal precisions. The read-back of the move's totals still catches a wrong guess.
 */
const ASSUMED_SCALE = 2

function scaleOf(description: Record<string, unknown> | undefined): number | null | undefined {
  const digits = description?.digits
  if (Array.isArray(digits) && typeof digits[1] === 'number') return digits[1]
  if (digits === false || digits === 0) return null
  return undefined
}

export class OdooResolver {
  private readonly cache = new Map<string, Promise<unknown>>()
  /** What this run created, for the report. */
  readonly created: {model: string; id: number; name: string}[] = []

  constructor(private readonly api: OdooApi) {}

  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let value = this.cache.get(key) as Promise<T> | undefined
    if (!value) {
      value = fn()
      value.catch(() => this.cache.delete(key))
      this.cache.set(key, value)
    }
    return value
  }

  /** The precision of a move line's quantity and unit price, asked once per run with fields_get. */
  linePrecision(): Promise<LinePrecision> {
    return this.once('precision:account.move.line', async () => {
      const fields = await this.api.fieldsGet('account.move.line', ['quantity', 'price_unit'], ['digits'])
      const assumed: string[] = []
      const scale = (name: string) => {
        const value = scaleOf(fields[name])
        if (value !== undefined) return value
        assumed.push(name)
        return ASSUMED_SCALE
      }
      return {quantity: scale('quantity'), priceUnit: scale('price_unit'), assumed}
    })
  }

  async findOne(model: string, domain: Domain, context?: Record<string, unknown>): Promise<{id: number; [key: string]: unknown} | undefined> {
    const rows = await this.api.searchRead<{id: number}>(model, domain, ['id'], {limit: 1, context})
    return rows[0]
  }

  countryId(code: string | undefined): Promise<number | undefined> {
    if (!code) return Promise.resolve(undefined)
    return this.once(`country:${code}`, async () => (await this.findOne('res.country', [['code', '=', code.toUpperCase()]]))?.id)
  }

  /** Archived currencies count too: Odoo keeps most of them inactive until used. */
  currencyId(code: string): Promise<number | undefined> {
    return this.once(`currency:${code}`, async () => (await this.findOne('res.currency', [['name', '=', code]], {active_test: false}))?.id)
  }

  partnerId(party: InvoiceParty): Promise<number> {
    return this.once(`partner:${party.vat ?? ''}:${party.name}`, async () => {
      const byVat = party.vat ? await this.findOne('res.partner', [['vat', '=', party.vat]]) : undefined
      if (byVat) return byVat.id
      const byName = await this.findOne('res.partner', [['name', '=', party.name]])
      if (byName) return byName.id
      const country = await this.countryId(party.country)
      const values: Record<string, unknown> = {
        name: party.name,
        is_company: true,
        ...(party.vat ? {vat: party.vat} : {}),
        ...(party.street ? {street: party.street} : {}),
        ...(party.city ? {city: party.city} : {}),
        ...(party.postcode ? {zip: party.postcode} : {}),
        ...(party.email ? {email: party.email} : {}),
        ...(country ? {country_id: country} : {}),
      }
      const id = await this.api.create('res.partner', values)
      this.created.push({model: 'res.partner', id, name: party.name})
      return id
    })
  }

  productId(line: InvoiceLine): Promise<number> {
    const code = productCode(line)
    return this.once(`product:${code}`, async () => {
      const found = await this.findOne('product.product', [['default_code', '=', code]])
      if (found) return found.id
      const name = line.description
      const id = await this.api.create('product.product', {name, default_code: code, type: 'service', sale_ok: true, list_price: Number(line.unitPrice)})
      this.created.push({model: 'product.product', id, name: `[${code}] ${name}`})
      return id
    })
  }

  taxFor(category: string, percent: string): Promise<ResolvedTax> {
    return this.once(`tax:${category}:${percent}`, async () => {
      const rate = Number(percent)
      const rows = await this.api.searchRead<{id: number; name: string}>(
        'account.tax',
        [['type_tax_use', '=', 'sale'], ['amount_type', '=', 'percent'], ['amount', '=', rate], ['price_include', '=', false]],
        ['id', 'name'],
      )
      if (rows.length === 0) {
        throw new OdooTaxMissingError(category, percent)
      }
      return {id: rows[0].id, name: rows[0].name}
    })
  }
}

export class OdooTaxMissingError extends OdoopsError {
  constructor(category: string, percent: string) {
    super('ODOO_TAX_NOT_FOUND', `The target Odoo has no active sales tax of ${percent} % (price excluded) for VAT category ${category}.`, {
      suggestions: [
        `Create it in Odoo (Accounting → Configuration → Taxes: type Sales, computation Percentage, amount ${percent}) or install the localization (l10n_*) that provides it, then push again.`,
      ],
      data: {taxCategory: category, taxPercent: percent},
    })
  }
}

/**
 * The Internal Reference of a line's product: `ODOOPS-<metric>` for metered lines
 * (`ODOOPS-USERS.INTERNAL`), else `ODOOPS-<plan>-<description>` for flat fees and add-ons,
 * upper-cased, at most 64 characters. Accents are dropped by NFKD here, not transliterated as
 * tenant slugs are (names/slug.ts): a code is the product's identity in the partner's Odoo,
 * and spelling it differently would make a second product beside the one already there.
 */
export function productCode(line: InvoiceLine): string {
  const slug = (text: string) =>
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/\([^)]*\)/g, ' ')
      .replace(/[^A-Za-z0-9.]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toUpperCase()
  const base = line.source?.metric ? `ODOOPS-${slug(line.source.metric)}` : `ODOOPS-${slug(line.source?.plan ?? 'plan')}-${slug(line.description)}`
  return base.slice(0, 64).replace(/-+$/, '')
}
