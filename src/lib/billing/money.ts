import {Decimal as BaseDecimal} from 'decimal.js'
import {usageError} from '../errors.js'

/**
 * Money arithmetic. A private Decimal clone (64 significant digits, half-up) so nothing
 * else in the process can change its settings; amounts enter and leave as decimal
 * strings, never as binary floats.
 */
export const Decimal = BaseDecimal.clone({precision: 64, rounding: BaseDecimal.ROUND_HALF_UP, toExpNeg: -30, toExpPos: 40})
export type Decimal = InstanceType<typeof Decimal>

/** ISO 4217 codes whose minor unit is not 2 (cents). Source: the ISO 4217 list (A.1). */
const MINOR_UNITS_EXCEPTIONS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
}

/** Active ISO 4217 currencies with two decimals (the common case). */
const TWO_DECIMALS = (
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK ' +
  'DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK ' +
  'LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON ' +
  'RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL'
).split(' ')

export const KNOWN_CURRENCIES: ReadonlySet<string> = new Set([...TWO_DECIMALS, ...Object.keys(MINOR_UNITS_EXCEPTIONS)])

export function isKnownCurrency(code: string): boolean {
  return KNOWN_CURRENCIES.has(code)
}

/** Decimal places of the currency's minor unit (JPY 0, EUR 2, KWD 3). */
export function minorUnits(currency: string): number {
  if (!isKnownCurrency(currency)) {
    throw usageError('CURRENCY_UNKNOWN', `"${currency}" is not an ISO 4217 currency odoops knows.`, ['Use an ISO 4217 alphabetic code such as EUR, USD, JPY or KWD.'])
  }
  return MINOR_UNITS_EXCEPTIONS[currency] ?? 2
}

/** A decimal from a plan or record value ("12.50", 12.5 as written in YAML, or a Decimal). */
export function dec(value: string | number | Decimal): Decimal {
  // Numbers from YAML go through their shortest string form, never their binary value.
  return new Decimal(typeof value === 'number' ? String(value) : value)
}

/** Half-up rounding to the currency's minor unit: the line-level rounding of every amount. */
export function roundMoney(value: Decimal, currency: string): Decimal {
  return value.toDecimalPlaces(minorUnits(currency), Decimal.ROUND_HALF_UP)
}

/** An amount as stored: exactly the minor unit's decimals ("12.30", "1200", "1.250"). */
export function formatMoney(value: Decimal, currency: string): string {
  return roundMoney(value, currency).toFixed(minorUnits(currency))
}

/** A unit price as stored: at least the minor unit's decimals, more when the plan gives more ("0.125"). */
export function formatUnitPrice(value: Decimal, currency: string): string {
  return value.toFixed(Math.max(minorUnits(currency), value.decimalPlaces()))
}

/** Quantities keep up to 6 decimals (a prorated 14/30 user is 0.466667), no trailing zeros. */
export const QUANTITY_DECIMALS = 6

export function formatQuantity(value: Decimal): string {
  const fixed = value.toDecimalPlaces(QUANTITY_DECIMALS, Decimal.ROUND_HALF_UP).toFixed()
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed
}

/** Sum of decimal strings. */
export function sum(values: (string | Decimal)[]): Decimal {
  return values.reduce<Decimal>((total, v) => total.plus(v), new Decimal(0))
}
