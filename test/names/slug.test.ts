import {expect} from 'chai'
import {slugify, slugWords, validateSlug} from '../../src/lib/names/slug.js'
import {thrownBy} from '../helpers/failure.js'

describe('tenant slugs from customer names', () => {
  it('transliterates rather than drops what is not ASCII', () => {
    expect(slugify('Großhandel Nord')).to.equal('grosshandel-nord')
    expect(slugify('Müller & Söhne GmbH')).to.equal('mueller-soehne-gmbh')
    expect(slugify('Ça Va Trading S.A.')).to.equal('ca-va-trading-s-a')
    expect(slugify('Москва Трейд')).to.equal('moskva-treyd')
    expect(slugify('北京贸易')).to.equal('bei-jing-mao-yi')
    expect(slugify('Nguyễn Văn An')).to.equal('nguyen-van-an')
  })

  it('always gives a valid slug: starts with a letter, at most 41 characters, never empty', () => {
    for (const name of ['123 Logistics', '🎉', '', 'Ä', 'a'.repeat(80), '---x---', '東京 '.repeat(20)]) {
      const slug = slugify(name)
      expect(validateSlug(slug), name).to.equal(slug)
    }
    expect(slugify('123 Logistics')).to.equal('c-123-logistics')
    expect(slugify('🎉')).to.match(/^customer-[0-9a-f]{6}$/)
    expect(slugify('🎉')).to.not.equal(slugify('🎈'))
    expect(slugify('Müller & Söhne Großhandel GmbH')).to.equal('mueller-soehne-grosshandel-gmbh')
  })

  it('slugWords keeps digits and joins words with one dash', () => {
    expect(slugWords('  Web  1 / Paris ')).to.equal('web-1-paris')
  })

  it('refuses reserved database names and bad shapes with their own codes', () => {
    expect(thrownBy(() => validateSlug('postgres')).code).to.equal('TENANT_SLUG_RESERVED')
    expect(thrownBy(() => validateSlug('Acme')).code).to.equal('TENANT_SLUG_INVALID')
  })
})
