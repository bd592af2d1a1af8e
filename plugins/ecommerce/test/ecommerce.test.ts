import {expect} from 'chai'
import {fileURLToPath} from 'node:url'
import {checkMetric, checkTemplateFile, type PackMetricContext, type PackStepContext} from 'odoops'
import {metrics, websiteOrders} from '../src/metrics.js'
import {websiteDomain, websiteStep} from '../src/steps.js'

describe('@odoops/ecommerce', () => {
  it('its template passes the core schema and checks', async () => {
    const checked = await checkTemplateFile(fileURLToPath(new URL('../templates/webshop.yaml', import.meta.url)))
    expect(checked).to.deep.equal({name: 'webshop', valid: true, problems: []})
  })

  it('its metric is valid in the ecommerce namespace; 0 without website_sale, the count with it', async () => {
    for (const metric of metrics) expect(await checkMetric(metric, 'ecommerce'), metric.name).to.equal(undefined)
    const ctx = (column: boolean) =>
      ({
        day: {date: '2026-03-01', start: '2026-03-01 00:00:00', end: '2026-03-02 00:00:00'},
        tableExists: async () => true,
        client: {query: async (text: string, values?: unknown[]) => (text.includes('information_schema') ? {rows: column ? [{}] : []} : {rows: [{n: String(values?.length)}]})},
      }) as unknown as PackMetricContext
    expect(await websiteOrders.collect(ctx(false))).to.equal(0)
    expect(await websiteOrders.collect(ctx(true))).to.equal(2)
  })

  it('the step writes the website domain (as website._handle_domain stores it) and the shop contact, once', async () => {
    expect(websiteDomain('shop.acme.example/')).to.equal('https://shop.acme.example')
    const state = {site: {id: 1, name: 'My Website', domain: false as string | false}, company: {email: false as string | false, phone: false as string | false}}
    const writes: unknown[] = []
    const odoo = {
      db: 'x',
      uid: 2,
      async call(model: string, method: string, args: unknown[] = []) {
        if (model === 'website' && method === 'search_read') return [state.site]
        if (model === 'res.company' && method === 'read') return [state.company]
        writes.push([model, args])
        const values = args[1] as Record<string, string>
        if (model === 'website') Object.assign(state.site, values, values.domain ? {domain: websiteDomain(values.domain)} : {})
        else Object.assign(state.company, values)
        return true
      },
    }
    const ctx = {odoo, answers: {shop_name: 'Claes', shop_email: 'shop@claes.example'}, tenant: {domain: 'shop.claes.example'}} as unknown as PackStepContext
    expect(await websiteStep.run(ctx)).to.deep.equal({change: 'changed', detail: 'website name, website domain, company email'})
    expect(await websiteStep.run(ctx)).to.include({change: 'unchanged'})
    expect(writes).to.have.length(2)
  })
})
