/**
 * Amount handling shared by the exports: decimal strings in, decimal strings out (decimal.js,
 * never binary floats), and the sign convention of documents that have no negative totals.
 */
import {Decimal} from '../money.js'
import type {Invoice, InvoiceLine, InvoiceTaxSubtotal} from '../types.js'

/** Keeps the number of decimals the input had, at least `minDecimals` (amounts keep their minor unit). */
export function formatLike(value: Decimal, like: string, minDecimals = 0): string {
  const places = Math.max(minDecimals, (like.split('.')[1] ?? '').length)
  return value.toFixed(places, Decimal.ROUND_HALF_UP)
}

export function negate(value: string): string {
  return formatLike(new Decimal(value).negated(), value)
}

export function isNegative(value: string): boolean {
  return new Decimal(value).isNegative() && !new Decimal(value).isZero()
}

/**
 * A credit note states the amounts it credits as positive numbers (UBL CreditNote, Odoo's
 * out_refund): when the stored credit note carries negative totals (the invoice's amounts with
 * their sign reversed), every amount and quantity is negated. Unit prices stay positive in any
 * document (EN 16931 BR-27: the item net price shall not be negative): a line with a negative
 * price gets a negative quantity instead.
 */
export function documentAmounts(invoice: Invoice): Invoice {
  const flip = invoice.kind === 'credit-note' && isNegative(invoice.totalGross)
  const lines: InvoiceLine[] = invoice.lines.map((line) => {
    let quantity = flip ? negate(line.quantity) : line.quantity
    let unitPrice = line.unitPrice
    if (isNegative(unitPrice)) {
      unitPrice = negate(unitPrice)
      quantity = negate(quantity)
    }
    return {...line, quantity, unitPrice, netAmount: flip ? negate(line.netAmount) : line.netAmount}
  })
  if (!flip) return {...invoice, lines}
  const taxSubtotals: InvoiceTaxSubtotal[] = invoice.taxSubtotals.map((s) => ({...s, taxableAmount: negate(s.taxableAmount), taxAmount: negate(s.taxAmount)}))
  return {...invoice, lines, taxSubtotals, totalNet: negate(invoice.totalNet), totalTax: negate(invoice.totalTax), totalGross: negate(invoice.totalGross)}
}

/**
 * quantity × unit price rounded half-up to the amount's decimals, and what the stored net amount
 * differs from it by: proration (days active / days in period) is folded into the net amount by
 * rating, and Peppol requires net = quantity × price + charges − allowances (PEPPOL-EN16931-R120),
 * so the difference is stated as a line allowance (negative) or charge (positive).
 */
export function lineAdjustment(line: InvoiceLine): {gross: string; adjustment: Decimal} {
  const grossValue = new Decimal(line.quantity).times(line.unitPrice)
  const gross = formatLike(grossValue, line.netAmount, 2)
  return {gross, adjustment: new Decimal(line.netAmount).minus(gross)}
}
