import {expect} from 'chai'
import {missingPeppolFields} from '../../src/lib/billing/export/requirements.js'
import {generateInvoices} from '../../src/lib/billing/generate.js'
import {getInvoice, issueInvoices} from '../../src/lib/billing/lifecycle.js'
import {applyPlan} from '../../src/lib/billing/plans/store.js'
import {setTenantBilling} from '../../src/lib/billing/tenant-billing.js'
import type {Invoice, InvoiceParty} from '../../src/lib/billing/types.js'
import type {TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {failure} from '../helpers/failure.js'
import {billedTenant, daily, tempStore, templatePlan} from './helpers.js'

const CUSTOMER = "Acme & Co 'Test'"
/** A partner that sends Peppol invoices: its own endpoint is set (valid BE enterprise number check digits). */
const PEPPOL_SELLER: InvoiceParty = {name: 'Partner SRL', vat: 'BE0123456749', country: 'BE', endpointId: '0208:0123456749'}

function tenant(id: string, fields: Partial<TenantRecord> = {}): TenantRecord {
  return billedTenant(id, {plan: 'standard-per-user', ...fields})
}

describe('billing: draft ids and issue checks (state store, no CLI)', () => {
  let store: StateStore
  let removeStore: () => Promise<void>

  beforeEach(async () => {
    ;({store, remove: removeStore} = await tempStore('odoops-lifecycle-'))
    await applyPlan(store, templatePlan('per-user'), {now: new Date('2026-01-01T00:00:00Z')})
    await store.transaction(async (tx) => {
      await tx.tenants.insert(tenant('acme-stage', {customer: CUSTOMER}))
      await tx.tenants.insert(tenant('acme-app', {customer: CUSTOMER}))
      await tx.tenants.insert(tenant('solo'))
      for (const t of ['acme-app', 'acme-stage', 'solo']) for (const s of daily(t, 'users.internal', '2026-10-01', '2026-11-30', () => 4)) await tx.usageSnapshots.insert(s)
    })
  })
  afterEach(() => removeStore())

  describe('draft ids (issue 17, item 3)', () => {
    it('keys a draft by the first tenant slug of its customer, never by the customer name', async () => {
      const report = await generateInvoices(store, {period: '2026-10', seller: {name: 'Partner SRL'}})
      expect(report.invoices.map((i) => [i.id, i.customer])).to.deep.equal([
        ['draft/acme-app/2026-10', CUSTOMER],
        ['draft/solo/2026-10', 'solo'],
      ])
      for (const i of report.invoices) expect(i.id).to.match(/^draft\/[a-z0-9-]+\/\d{4}-\d{2}$/)
    })

    it('finds a draft by its id, by <customer>/<period> and by the id it had before slug keys', async () => {
      await generateInvoices(store, {period: '2026-10', seller: {name: 'Partner SRL'}})
      for (const ref of ['draft/acme-app/2026-10', 'acme-app/2026-10', `${CUSTOMER}/2026-10`, `draft/${CUSTOMER}/2026-10`]) {
        expect((await getInvoice(store, ref)).id, ref).to.equal('draft/acme-app/2026-10')
      }
      expect((await failure(getInvoice(store, 'draft/nobody/2026-10'))).code).to.equal('INVOICE_NOT_FOUND')
    })

    it('keeps a draft stored under the old customer-name id addressable and issuable; generating again replaces it, never duplicates', async () => {
      await generateInvoices(store, {period: '2026-11', seller: {name: 'Partner SRL'}})
      // A draft written by an older odoops: id from the raw customer name.
      const current = (await store.invoices.get('draft/acme-app/2026-11')) as unknown as Invoice
      await store.transaction(async (tx) => {
        await tx.invoices.delete(current.id)
        await tx.invoices.put({...current, id: `draft/${CUSTOMER}/2026-11`})
      })
      expect((await getInvoice(store, `draft/${CUSTOMER}/2026-11`)).customer).to.equal(CUSTOMER)

      const again = await generateInvoices(store, {period: '2026-11', seller: {name: 'Partner SRL'}})
      expect(again.removedDrafts).to.deep.equal([`draft/${CUSTOMER}/2026-11`])
      const drafts = (await store.invoices.list({period: '2026-11'})).map((r) => r.id).sort()
      expect(drafts).to.deep.equal(['draft/acme-app/2026-11', 'draft/solo/2026-11'])
      expect((await getInvoice(store, `draft/${CUSTOMER}/2026-11`)).id).to.equal('draft/acme-app/2026-11')

      // An old-id draft is issued like any other.
      await store.transaction(async (tx) => {
        await tx.invoices.delete('draft/acme-app/2026-11')
        await tx.invoices.put({...current, id: `draft/${CUSTOMER}/2026-11`})
      })
      const issued = await issueInvoices(store, {period: '2026-11', seller: {name: 'Partner SRL'}, issueDate: '2026-12-01'})
      expect(issued.issued.map((i) => [i.number, i.customer])).to.deep.equal([
        ['INV-2026-00001', CUSTOMER],
        ['INV-2026-00002', 'solo'],
      ])
    })
  })

  describe('e-invoice completeness (issue 17, item 2)', () => {
    it('generate lists the drafts a Peppol invoice cannot be made from, with the set-billing command', async () => {
      await setTenantBilling(store, 'acme-stage', {name: 'Acme & Co SA'})
      const report = await generateInvoices(store, {period: '2026-10', seller: PEPPOL_SELLER})
      expect(report.invoices).to.have.length(2)
      expect(report.incomplete.map((i) => [i.customer, i.invoice, i.tenant, i.missing.map((m) => m.field)])).to.deep.equal([
        // acme-stage holds the customer's billing data (buyerOf): it is the tenant to complete.
        [CUSTOMER, 'draft/acme-app/2026-10', 'acme-stage', ['buyer.country', 'buyer.endpointId']],
        ['solo', 'draft/solo/2026-10', 'solo', ['buyer.country', 'buyer.endpointId']],
      ])
      expect(report.incomplete[0].commands).to.deep.equal(['odoops tenant set-billing acme-stage --country <CC> --endpoint-id <scheme:id>'])
      expect(report.incomplete[0].missing[1]).to.include({setBy: '--endpoint-id'})
      expect(report.incomplete[0].missing[1].reason).to.contain('PEPPOL-EN16931-R010')
    })

    it('issue refuses incomplete drafts before any number is taken, then numbers from 1 once completed', async () => {
      await generateInvoices(store, {period: '2026-10', seller: PEPPOL_SELLER})
      await setTenantBilling(store, 'solo', {name: 'Solo BV', country: 'BE', endpointId: '0208:0987654394'})
      const error = await failure(issueInvoices(store, {period: '2026-10', seller: PEPPOL_SELLER, issueDate: '2026-11-02'}))
      expect(error.code).to.equal('INVOICE_EINVOICE_INCOMPLETE')
      expect(error.exit).to.equal(2)
      expect(error.message).to.contain(`${CUSTOMER} (draft/acme-app/2026-10): buyer.country, buyer.endpointId`)
      expect(error.message).not.to.contain('solo')
      expect(error.suggestions[0]).to.equal('odoops tenant set-billing acme-app --country <CC> --endpoint-id <scheme:id>')
      expect((await store.invoices.list({status: 'issued'})).length).to.equal(0)

      await setTenantBilling(store, 'acme-app', {country: 'BE', endpointId: '0208:0987654394', vat: 'BE0987654394'})
      const issued = await issueInvoices(store, {period: '2026-10', seller: PEPPOL_SELLER, issueDate: '2026-11-02'})
      expect(issued.issued.map((i) => i.number)).to.deep.equal(['INV-2026-00001', 'INV-2026-00002'])
      expect(issued.incomplete).to.deep.equal([])
      for (const i of issued.issued) expect(missingPeppolFields(i), i.number).to.deep.equal([])
    })

    it('names the seller fields a Peppol partner lacks, with the config key', async () => {
      await generateInvoices(store, {period: '2026-10', seller: PEPPOL_SELLER})
      for (const slug of ['acme-app', 'solo']) await setTenantBilling(store, slug, {country: 'BE', endpointId: '0208:0987654394'})
      const error = await failure(issueInvoices(store, {period: '2026-10', seller: {name: 'Partner SRL', endpointId: '0208:0123456749'}}))
      expect(error.code).to.equal('INVOICE_EINVOICE_INCOMPLETE')
      expect(error.suggestions).to.include.members(['odoops config set partner.country <CC>', 'odoops config set partner.vat <VAT id>'])
    })

    it('--allow-incomplete issues them and reports which; without a Peppol endpoint nothing is required', async () => {
      await generateInvoices(store, {period: '2026-10', seller: PEPPOL_SELLER})
      const forced = await issueInvoices(store, {period: '2026-10', seller: PEPPOL_SELLER, issueDate: '2026-11-02', allowIncomplete: true})
      expect(forced.issued).to.have.length(2)
      expect(forced.incomplete.map((i) => i.invoice)).to.deep.equal(['INV-2026-00001', 'INV-2026-00002'])

      const plain = await generateInvoices(store, {period: '2026-11', seller: {name: 'Partner SRL'}})
      expect(plain.incomplete).to.deep.equal([])
      expect((await issueInvoices(store, {period: '2026-11', seller: {name: 'Partner SRL'}})).issued).to.have.length(2)
    })
  })
})
