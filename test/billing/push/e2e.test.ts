import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {connectOdoo, pushInvoices} from '../../../src/lib/billing/push/index.js'
import {hostTransport, OdooClient, type OdooSession} from '../../../src/lib/odoo/index.js'
import type {SshConnection} from '../../../src/lib/ssh/connection.js'
import {SshPool} from '../../../src/lib/ssh/pool.js'
import {runCli} from '../../helpers/cli.js'
import {preparedHostFor, type PreparedHost} from '../../helpers/prepared-host.js'
import {creditNote, mixedRatesInvoice, standardInvoice} from '../export/invoices.js'
import {readCredentialsFile} from '../../../src/lib/credentials/file.js'
import {passwordFrom} from '../../tenants/remote-checks.js'

/**
 * `invoice push` into a real tenant of the fixture Odoo (a TEST DOUBLE, test/fixtures/odoo) on a
 * prepared sandbox host, over XML-RPC through the host's SSH connection: the fixture Odoo listens on
 * the host's loopback only. The tenant's accountant has created the sales taxes (a real database
 * gets them from its chart of accounts).
 */
describe('billing push: end to end into a fixture Odoo tenant @host', function () {
  const slug = `push-${process.pid % 10000}`
  const domain = `${slug}.example.test`
  let a: PreparedHost
  let pool: SshPool
  let conn: SshConnection
  let database: string
  let password: string

  const transport = () => hostTransport(conn, {port: a.prepare.service.httpPort})

  async function admin<T>(fn: (session: OdooSession) => Promise<T>): Promise<T> {
    const t = transport()
    try {
      return await fn(await new OdooClient(t).session(database, 'admin', password))
    } finally {
      await t.close()
    }
  }

  before(async function () {
    a = await preparedHostFor(this, 300_000)
    const credentials = join(mkdtempSync(join(tmpdir(), 'odoops-push-')), 'creds.txt')
    const created = await runCli(['tenant', 'create', slug, '--host', a.host, '--domain', domain, '--json', '--credentials-file', credentials], {env: a.env, timeoutMs: 300_000})
    expect(created.code, created.stdout + created.stderr).to.equal(0)
    const file = await readCredentialsFile(credentials)
    database = file.database
    password = passwordFrom(credentials)
    pool = new SshPool({agentSocket: null})
    const s = a.sandbox
    conn = await pool.connect({name: s.name, address: s.address, port: s.port, user: 'root', identityFile: s.identityFile, hostKey: s.hostKey})
    await admin(async (session) => {
      const [account] = await session.call<{id: number; state: string}[]>('ir.module.module', 'search_read', [[['name', '=', 'account']]], {fields: ['state']})
      if (account.state !== 'installed') await session.call('ir.module.module', 'button_immediate_install', [[account.id]])
      for (const amount of [21, 6]) await session.call('account.tax', 'create', [{name: `${amount}%`, amount, amount_type: 'percent', type_tax_use: 'sale'}])
    })
  })

  after(async () => {
    await pool?.closeAll()
  })

  it('pushing twice creates one posted account.move per invoice, with Odoo totals equal to ours', async function () {
    this.timeout(300_000)
    const invoices = [standardInvoice(), mixedRatesInvoice(), creditNote()]
    for (let run = 0; run < 2; run++) {
      const connection = await connectOdoo({url: 'http://127.0.0.1', db: database, login: 'admin', password}, {transport: transport()})
      try {
        expect(connection.api.protocol).to.equal('xml-rpc')
        const report = await pushInvoices(connection.api, invoices, {post: true})
        expect(report.results.map((r) => r.action)).to.deep.equal(run === 0 ? ['created', 'created', 'created'] : ['existing', 'existing', 'existing'])
      } finally {
        await connection.close()
      }
    }
    const moves = await admin((session) =>
      session.call<{ref: string; move_type: string; state: string; name: string; amount_untaxed: number; amount_tax: number; amount_total: number; partner_id: [number, string]}[]>(
        'account.move',
        'search_read',
        [[['ref', 'in', invoices.map((i) => i.number)]]],
        {fields: ['ref', 'move_type', 'state', 'name', 'amount_untaxed', 'amount_tax', 'amount_total', 'partner_id'], order: 'id'},
      ),
    )
    expect(moves.map((m) => [m.ref, m.move_type, m.state, m.name])).to.deep.equal([
      ['INV-2026-00001', 'out_invoice', 'posted', 'INV/2026/00001'],
      ['INV-2026-00002', 'out_invoice', 'posted', 'INV/2026/00002'],
      ['CN-2026-00001', 'out_refund', 'posted', 'RINV/2026/00001'],
    ])
    expect(moves.map((m) => [m.amount_untaxed, m.amount_tax, m.amount_total])).to.deep.equal([
      [169, 35.49, 204.49],
      [138, 26.43, 164.43],
      [20, 4.2, 24.2],
    ])
    expect(new Set(moves.map((m) => m.partner_id[0])).size).to.equal(1)
    const partners = await admin((session) => session.call<{name: string}[]>('res.partner', 'search_read', [[['vat', '=', 'BE0987654394']]], {fields: ['name']}))
    expect(partners.map((p) => p.name)).to.deep.equal(['Acme & Sons "Brewery" NV'])
  })
})
