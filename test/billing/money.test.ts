import {expect} from 'chai'
import {Decimal, dec, formatMoney, formatQuantity, formatUnitPrice, minorUnits} from '../../src/lib/billing/money.js'
import {daysInclusive, parsePeriod} from '../../src/lib/billing/period.js'
import {taxSubtotals} from '../../src/lib/billing/build.js'

describe('billing: money and periods', () => {
  it('minor units from ISO 4217: JPY 0, EUR/USD 2, BHD/KWD 3; unknown codes refused', () => {
    expect([minorUnits('JPY'), minorUnits('EUR'), minorUnits('USD'), minorUnits('BHD'), minorUnits('KWD')]).to.deep.equal([0, 2, 2, 3, 3])
    expect(() => minorUnits('EUX')).to.throw(/ISO 4217/)
  })

  it('rounds half-up to the minor unit, in decimal (0.1 + 0.2 is 0.3; 2.675 → 2.68, not binary 2.67)', () => {
    const table: [string, string, string][] = [
      ['2.675', 'EUR', '2.68'],
      ['2.665', 'EUR', '2.67'],
      ['-2.675', 'EUR', '-2.68'],
      ['0.005', 'EUR', '0.01'],
      ['0.0049999', 'EUR', '0.00'],
      ['1234.5', 'JPY', '1235'],
      ['1.0005', 'KWD', '1.001'],
      ['7', 'BHD', '7.000'],
    ]
    for (const [value, currency, expected] of table) expect(formatMoney(dec(value), currency), `${value} ${currency}`).to.equal(expected)
    expect(formatMoney(dec(0.1).plus(dec(0.2)), 'EUR')).to.equal('0.30')
    expect(dec(0.1).plus(dec(0.2)).eq('0.3')).to.equal(true)
  })

  it('YAML numbers go through their decimal text, never their binary value', () => {
    expect(dec(24.9).toFixed()).to.equal('24.9')
    expect(dec(24.9).times(3).toFixed()).to.equal('74.7')
  })

  it('quantities keep 6 decimals without trailing zeros; unit prices at least the minor unit', () => {
    expect(formatQuantity(new Decimal(14).div(30))).to.equal('0.466667')
    expect(formatQuantity(new Decimal('5.600'))).to.equal('5.6')
    expect(formatQuantity(new Decimal(12))).to.equal('12')
    expect(formatUnitPrice(dec('24.9'), 'EUR')).to.equal('24.90')
    expect(formatUnitPrice(dec('0.125'), 'EUR')).to.equal('0.125')
    expect(formatUnitPrice(dec('1000'), 'JPY')).to.equal('1000')
  })

  it('tax per category and rate on the sum of rounded lines, rounded once', () => {
    const lines = [
      {netAmount: '0.05', taxCategory: 'S', taxPercent: '21'},
      {netAmount: '0.05', taxCategory: 'S', taxPercent: '21.0'},
      {netAmount: '10.00', taxCategory: 'Z', taxPercent: '0'},
    ]
    // per line 0.0105 → 0.01 twice = 0.02; on the sum 0.10 × 21 % = 0.021 → 0.02; categories apart
    expect(taxSubtotals(lines, 'EUR')).to.deep.equal([
      {taxCategory: 'S', taxPercent: '21', taxableAmount: '0.10', taxAmount: '0.02'},
      {taxCategory: 'Z', taxPercent: '0', taxableAmount: '10.00', taxAmount: '0.00'},
    ])
  })

  it('periods: days in month (leap February), inclusive day counts; bad periods are usage errors', () => {
    expect(parsePeriod('2026-11')).to.deep.equal({period: '2026-11', start: '2026-11-01', end: '2026-11-30', days: 30})
    expect(parsePeriod('2028-02').days).to.equal(29)
    expect(parsePeriod('2026-02').days).to.equal(28)
    expect(daysInclusive('2026-11-17', '2026-11-30')).to.equal(14)
    for (const bad of ['2026-13', '2026-1', '26-01', 'soon']) expect(() => parsePeriod(bad), bad).to.throw(/not a billing period/)
  })
})
