import {expect} from 'chai'
import {chmodSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {ResultPromise} from 'execa'
import {checkHealth, OdooClient, OdooRpcError, urlTransport, type HttpTransport} from '../../src/lib/odoo/index.js'
import {BUILD_DATE, extractedFixture, freePort, runOdoo, startOdoo, waitHealthy, writeConfig} from '../fixture-odoo/helpers.js'
import {pgCluster} from '../helpers/pg-cluster.js'
import {failure} from '../helpers/failure.js'

// The client against the fixture Odoo run locally (from its extracted package) on the throwaway PostgreSQL.
describe('odoo: XML-RPC client and health against the fixture Odoo (local)', function () {
  this.timeout(120_000)
  const role = `odoo_rpc_${process.pid}`
  const db = `rpc_${process.pid}`
  let server: ResultPromise | undefined
  let transport: HttpTransport
  let client: OdooClient
  let httpPort: number

  before(async () => {
    const cluster = await pgCluster()
    const {root} = await extractedFixture('17.0')
    const work = mkdtempSync(join(tmpdir(), 'odoops-rpc-'))
    chmodSync(work, 0o755)
    await cluster.query('postgres', `CREATE ROLE ${role} LOGIN CREATEDB PASSWORD 'rpc-pass'`)
    httpPort = await freePort()
    const conf = writeConfig(work, {
      db_host: '127.0.0.1', db_port: cluster.port, db_user: role, db_password: 'rpc-pass', data_dir: join(work, 'data'),
      http_interface: '127.0.0.1', http_port: httpPort, gevent_port: await freePort(), dbfilter: '^%d$', list_db: false, proxy_mode: true, workers: 0,
    })
    const init = await runOdoo(root, ['-c', conf, '-d', db, '-i', 'base', '--stop-after-init', '--without-demo=all'])
    expect(init.exitCode, init.stderr).to.equal(0)
    server = startOdoo(root, ['-c', conf, '--logfile', join(work, 'odoo.log')])
    await waitHealthy(httpPort)
    transport = urlTransport(`http://127.0.0.1:${httpPort}`)
    client = new OdooClient(transport)
  })

  after(async () => {
    await transport?.close()
    server?.kill('SIGTERM')
    await server
  })

  it('reads the version', async () => {
    const version = await client.version()
    expect(version).to.include({server_version: `17.0-${BUILD_DATE}`, server_serie: '17.0', protocol_version: 1})
    expect(version.server_version_info.slice(0, 2)).to.deep.equal([17, 0])
  })

  it('authenticates: a uid for the right password, false for a wrong one', async () => {
    expect(await client.authenticate(db, 'admin', 'admin')).to.equal(2)
    expect(await client.authenticate(db, 'admin', 'Wr0ng-pass')).to.equal(false)
    expect(await client.authenticate(db, 'nobody', 'admin')).to.equal(false)
    const refused = await failure(client.session(db, 'admin', 'Wr0ng-pass'))
    expect(refused.code).to.equal('ODOO_AUTH_FAILED')
    expect(refused.message).to.contain(`"admin" on database "${db}"`).and.not.contain('Wr0ng-pass')
  })

  it('calls execute_kw: search_read of res.users', async () => {
    const session = await client.session(db, 'admin', 'admin')
    expect(session.uid).to.equal(2)
    const users = await session.call<{id: number; login: string; name: string; share: boolean}[]>('res.users', 'search_read', [[['login', '=', 'admin']]], {fields: ['login', 'name', 'share']})
    expect(users).to.have.length(1)
    expect(users[0]).to.include({id: 2, login: 'admin', name: 'Administrator', share: false})
    // The inactive technical users are filtered by `active`, as Odoo does.
    expect(await session.call('res.users', 'search_count', [[]])).to.equal(1)
  })

  it('turns a fault into OdooRpcError with a clean one-line message (unknown model, method, database)', async () => {
    // Odoo 17 odoo/service/model.py execute_cr: UserError "Object %s doesn't exist" (fault code 2).
    const unknownModel = await failure(client.executeKw(db, 2, 'admin', 'no.such.model', 'search', [[]]))
    expect(unknownModel).to.be.instanceOf(OdooRpcError)
    expect(unknownModel.code).to.equal('ODOO_RPC_FAULT')
    expect((unknownModel as OdooRpcError).faultCode).to.equal(2)
    expect(unknownModel.message).to.equal(`Odoo refused no.such.model.search on database "${db}": Object no.such.model doesn't exist`)
    // Any other exception is fault 1 with the whole traceback; the message keeps its last line.
    const unknownMethod = (await failure(client.executeKw(db, 2, 'admin', 'res.partner', 'no_such_method', []))) as OdooRpcError
    expect(unknownMethod.faultCode).to.equal(1)
    expect(unknownMethod.faultString).to.match(/^Traceback \(most recent call last\):/)
    expect(unknownMethod.message).to.match(new RegExp(`^Odoo refused res\\.partner\\.no_such_method on database "${db}": AttributeError: [^\\n]*no_such_method[^\\n]*$`))
    const unknownDb = await failure(client.authenticate(`${db}_missing`, 'admin', 'admin'))
    expect(unknownDb.code).to.equal('ODOO_RPC_FAULT')
    expect(unknownDb.message.split('\n')).to.have.length(1)
    expect(unknownDb.message).to.contain(`database "${db}_missing" does not exist`)
  })

  it('changes the admin password: the new one authenticates, the old one is refused (ODOO_ACCESS_DENIED on calls)', async () => {
    expect(await client.executeKw(db, 2, 'admin', 'res.users', 'write', [[2], {password: 'N3w & <secret>'}])).to.equal(true)
    expect(await client.authenticate(db, 'admin', 'N3w & <secret>')).to.equal(2)
    expect(await client.authenticate(db, 'admin', 'admin')).to.equal(false)
    const stale = await failure(client.executeKw(db, 2, 'admin', 'res.partner', 'search', [[]]))
    expect(stale.code).to.equal('ODOO_ACCESS_DENIED')
    expect(stale.message).to.equal(`Odoo refused res.partner.search on database "${db}": Access Denied`)
  })

  it('reports an HTTP error and a non-XML answer clearly', async () => {
    const elsewhere = urlTransport(`http://127.0.0.1:${httpPort}/not-odoo`)
    try {
      const error = await failure(new OdooClient(elsewhere).version())
      expect(error.code).to.equal('ODOO_HTTP_ERROR')
      expect(error.message).to.contain('answered HTTP 404 to POST /xmlrpc/2/common (common.version)')
    } finally {
      await elsewhere.close()
    }
    // A proxy serving a page instead of Odoo (here a fake transport answering HTML with 200).
    const page: HttpTransport = {description: 'fake', request: async () => ({status: 200, headers: {'content-type': 'text/html; charset=utf-8'}, body: Buffer.from('<html><title>Welcome to nginx!</title></html>')}), close: async () => {}}
    const notXml = await failure(new OdooClient(page).authenticate(db, 'admin', 'admin'))
    expect(notXml.code).to.equal('XMLRPC_INVALID_RESPONSE')
    expect(notXml.message).to.equal(`The answer to common.authenticate of "admin" on database "${db}" is not valid XML-RPC: it is text/html, not XML: <html><title>Welcome to nginx!</title></html>`)
  })

  it('checks /web/health, with and without the PostgreSQL check, and reports nothing listening as status 0', async () => {
    expect(await checkHealth(transport)).to.deep.equal({ok: true, status: 200, detail: 'pass'})
    expect(await checkHealth(transport, {dbServerStatus: true})).to.deep.equal({ok: true, status: 200, detail: 'pass (PostgreSQL reachable)'})
    const nowhere = urlTransport(`http://127.0.0.1:${await freePort()}`)
    try {
      const down = await checkHealth(nowhere)
      expect(down).to.include({ok: false, status: 0})
      expect(down.detail).to.contain('ECONNREFUSED')
    } finally {
      await nowhere.close()
    }
  })
})
