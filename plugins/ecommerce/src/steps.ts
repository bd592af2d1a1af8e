import type {PackStep} from 'odoops'

interface OdooWebsite {
  id: number
  name: string
  domain: string | false
}

/** website._handle_domain stores the domain with its scheme: compare like for like. */
export function websiteDomain(domain: string): string {
  return `https://${domain.replace(/^https?:\/\//, '').replace(/\/+$/, '')}`
}

/**
 * The shop's identity: the website (the first one, website.default_website) gets the
 * tenant's domain and the shop name; the company gets the shop's contact e-mail and phone
 * (shown in the shop's footer and on order confirmations). Writes only what differs.
 */
export const websiteStep: PackStep = {
  name: 'website',
  title: 'website domain and shop contact details',
  after: 'settings',
  async run({odoo, answers, tenant}) {
    const changes: string[] = []
    const [site] = await odoo.call<OdooWebsite[]>('website', 'search_read', [[]], {fields: ['name', 'domain'], limit: 1, order: 'sequence, id'})
    if (!site) throw new Error('the database has no website: is website_sale installed?')
    const values: Record<string, unknown> = {}
    const shopName = String(answers.shop_name || answers.company_name || '')
    if (shopName && site.name !== shopName) values.name = shopName
    if (site.domain !== websiteDomain(tenant.domain)) values.domain = tenant.domain
    if (Object.keys(values).length) {
      await odoo.call('website', 'write', [[site.id], values])
      changes.push(...Object.keys(values).map((k) => `website ${k}`))
    }
    const [company] = await odoo.call<{email: string | false; phone: string | false}[]>('res.company', 'read', [[1], ['email', 'phone']])
    const contact: Record<string, unknown> = {}
    if (answers.shop_email && company.email !== answers.shop_email) contact.email = answers.shop_email
    if (answers.shop_phone && company.phone !== answers.shop_phone) contact.phone = answers.shop_phone
    if (Object.keys(contact).length) {
      await odoo.call('res.company', 'write', [[1], contact])
      changes.push(...Object.keys(contact).map((k) => `company ${k}`))
    }
    return changes.length ? {change: 'changed', detail: changes.join(', ')} : {change: 'unchanged', detail: 'website and company already as asked'}
  },
}

export const steps: PackStep[] = [websiteStep]
