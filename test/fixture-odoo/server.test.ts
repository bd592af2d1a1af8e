import {expect} from 'chai'
import {chmodSync, mkdtempSync, readFileSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {ResultPromise} from 'execa'
import {pgCluster, type PgCluster} from '../helpers/pg-cluster.js'
import {BUILD_DATE, extractedFixture, freePort, http, jsonRpc, runOdoo, startOdoo, waitHealthy, writeConfig, xmlrpc} from './helpers.js'

// The fixture Odoo run locally (from the extracted package) against a throwaway PostgreSQL.
describe('fixture Odoo server (local, throwaway PostgreSQL)', function () {
  this.timeout(120_000)
  const tag = `${process.pid}`
  const role = `fx_odoo_${tag}`
  const dbA = `fxa_${tag}`
  const dbB = `fxb_${tag}`
  let cluster: PgCluster
  let root: string
  let work: string
  let httpPort: number
  let conf: string
  let server: ResultPromise | undefined

  const q = async (db: string, sql: string, params: unknown[] = []) => (await cluster.query(db, sql, params)).rows

  before(async () => {
    cluster = await pgCluster()
    ;({root} = await extractedFixture('17.0'))
    work = mkdtempSync(join(tmpdir(), 'odoops-fxsrv-'))
    chmodSync(work, 0o755)
    await cluster.query('postgres', `CREATE ROLE ${role} LOGIN CREATEDB PASSWORD 'fx-pass'`)
    httpPort = await freePort()
    conf = writeConfig(work, {
      db_host: '127.0.0.1', db_port: cluster.port, db_user: role, db_password: 'fx-pass', data_dir: join(work, 'data'),
      http_interface: '127.0.0.1', http_port: httpPort, gevent_port: await freePort(), dbfilter: '^%d$', list_db: false,
      proxy_mode: true, workers: 0, admin_passwd: 'master-secret',
    })
  })

  after(async () => {
    server?.kill('SIGTERM')
    await server
  })

  it('-d X -i base,sale,account --stop-after-init creates the database and the Odoo 17 schema subset', async () => {
    const result = await runOdoo(root, ['-c', conf, '-d', dbA, '-i', 'base,sale,account,no_such_module', '--stop-after-init', '--without-demo=all'])
    expect(result.exitCode, result.stderr).to.equal(0)
    // Real Odoo only warns about unknown modules and exits 0.
    expect(result.stderr).to.match(/WARNING .* invalid module names, ignored: no_such_module/)
    expect(await q('postgres', 'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [dbA])).to.deep.equal([{owner: role}])
    const users = await q(dbA, 'SELECT id, login, active, share, password FROM res_users ORDER BY id')
    expect(users.map((u) => [u.id, u.login, u.active, u.share])).to.deep.equal([
      [1, '__system__', false, false],
      [2, 'admin', true, false],
      [3, 'default', false, false],
      [4, 'public', false, true],
      [5, 'portaltemplate', false, true],
    ])
    expect(users[1].password).to.match(/^\$pbkdf2-sha512\$600000\$[./A-Za-z0-9]+\$[./A-Za-z0-9]+$/)
    const modules = await q(dbA, "SELECT name FROM ir_module_module WHERE state = 'installed'")
    expect(modules.map((m) => m.name)).to.include.members(['base', 'sale', 'account', 'mail', 'sales_team'])
    expect(modules.map((m) => m.name)).not.to.include('stock')
    const tables = await q(dbA, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    const names = tables.map((t) => t.table_name)
    expect(names).to.include.members(['res_users_log', 'res_groups_users_rel', 'ir_attachment', 'account_move', 'sale_order'])
    expect(names).not.to.include('stock_picking')
    const columns = await q(dbA, "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'res_users_log' ORDER BY ordinal_position")
    expect(columns.map((c) => `${c.column_name} ${c.data_type}`)).to.deep.equal([
      'id integer', 'create_uid integer', 'create_date timestamp without time zone', 'write_uid integer', 'write_date timestamp without time zone',
    ])
    const [uuid] = await q(dbA, "SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'")
    expect(uuid.value).to.match(/^[0-9a-f-]{36}$/)
    const groups = await q(dbA, "SELECT d.module || '.' || d.name AS xmlid FROM res_groups_users_rel r JOIN ir_model_data d ON d.model = 'res.groups' AND d.res_id = r.gid WHERE r.uid = 2")
    expect(groups.map((g) => g.xmlid)).to.include.members(['base.group_user', 'base.group_system', 'sales_team.group_sale_manager', 'account.group_account_manager'])
  })

  it('creates the second database the same way and refuses the postgres role', async () => {
    const result = await runOdoo(root, ['-c', conf, '-d', dbB, '-i', 'base', '--stop-after-init'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(await q(dbB, "SELECT count(*)::int AS n FROM res_users WHERE login = 'admin'")).to.deep.equal([{n: 1}])
    const refused = await runOdoo(root, ['-c', conf, '-r', 'postgres', '-d', dbB, '--stop-after-init'])
    expect(refused.exitCode).to.equal(1)
    expect(refused.stderr).to.contain("Using the database user 'postgres' is a security risk, aborting.")
  })

  it('serves /web/health, including the PostgreSQL check', async () => {
    server = startOdoo(root, ['-c', conf, '--logfile', join(work, 'odoo-server.log')])
    await waitHealthy(httpPort)
    const health = await http(httpPort, '/web/health')
    expect(health.status).to.equal(200)
    expect(JSON.parse(health.body)).to.deep.equal({status: 'pass'})
    const deep = await http(httpPort, '/web/health?db_server_status=1')
    expect([deep.status, JSON.parse(deep.body)]).to.deep.equal([200, {status: 'pass', db_server_status: true}])
    expect(readFileSync(join(work, 'odoo-server.log'), 'utf8')).to.match(/INFO \? werkzeug: .*"GET \/web\/health HTTP\/1.1" 200/)
  })

  it('authenticates admin/admin over XML-RPC and records the login in res_users_log', async () => {
    const version = await xmlrpc(httpPort, 'common', 'version', [])
    expect(version.result).to.deep.include({server_version: `17.0-${BUILD_DATE}`, server_serie: '17.0', protocol_version: 1})
    const before = await q(dbA, 'SELECT count(*)::int AS n FROM res_users_log WHERE create_uid = 2')
    expect((await xmlrpc(httpPort, 'common', 'authenticate', [dbA, 'admin', 'admin', {}])).result).to.equal(2)
    expect((await xmlrpc(httpPort, 'common', 'authenticate', [dbA, 'admin', 'wrong', {}])).result).to.equal(false)
    const after = await q(dbA, 'SELECT count(*)::int AS n FROM res_users_log WHERE create_uid = 2')
    expect(after[0].n).to.equal(before[0].n + 1)
    const login = await xmlrpc(httpPort, 'object', 'execute_kw', [dbA, 2, 'admin', 'res.users', 'search_read', [[['login', '=', 'admin']]], {fields: ['login_date', 'share', 'name']}])
    expect(login.result[0]).to.include({share: false, name: 'Administrator'})
    expect(login.result[0].login_date).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
  })

  it('creates users with groups, counts internal users, and re-hashes a changed password', async () => {
    const call = (password: string, model: string, method: string, args: unknown[], kw: object = {}) =>
      xmlrpc(httpPort, 'object', 'execute_kw', [dbA, 2, password, model, method, args, kw])
    const [, portal] = (await call('admin', 'ir.model.data', 'check_object_reference', ['base', 'group_portal'])).result
    const created = await call('admin', 'res.users', 'create', [{login: 'client@example.com', name: 'Client', groups_id: [[6, 0, [portal]]], password: 'client-pw'}])
    expect(created.fault).to.equal(undefined)
    const duplicate = await call('admin', 'res.users', 'create', [{login: 'client@example.com'}])
    expect(duplicate.fault?.code).to.equal(2)
    expect(duplicate.fault?.string).to.contain('You can not have two users with the same login!')
    expect((await call('admin', 'res.users', 'read', [[created.result]], {fields: ['share']})).result[0].share).to.equal(true)
    expect((await call('admin', 'res.users', 'search_count', [[['share', '=', false]]])).result).to.equal(1)

    expect((await call('admin', 'res.users', 'write', [[2], {password: 'n3w-secret'}])).result).to.equal(true)
    expect((await xmlrpc(httpPort, 'common', 'authenticate', [dbA, 'admin', 'admin', {}])).result).to.equal(false)
    expect((await xmlrpc(httpPort, 'common', 'authenticate', [dbA, 'admin', 'n3w-secret', {}])).result).to.equal(2)
    const stale = await call('admin', 'res.partner', 'search', [[]])
    expect(stale.fault).to.deep.equal({code: 3, string: 'Access Denied'})
  })

  it('stores attachments in <data_dir>/filestore/<db>/<sha1[:2]>/<sha1>', async () => {
    const content = Buffer.from('invoice pdf bytes')
    const sha = createHash('sha1').update(content).digest('hex')
    const id = (await xmlrpc(httpPort, 'object', 'execute_kw', [dbA, 2, 'n3w-secret', 'ir.attachment', 'create', [{name: 'a.pdf', datas: content.toString('base64')}]])).result
    const [row] = await q(dbA, 'SELECT store_fname, checksum, file_size, mimetype FROM ir_attachment WHERE id = $1', [id])
    expect(row).to.deep.equal({store_fname: `${sha.slice(0, 2)}/${sha}`, checksum: sha, file_size: content.length, mimetype: 'application/pdf'})
    expect(readFileSync(join(work, 'data', 'filestore', dbA, sha.slice(0, 2), sha)).equals(content)).to.equal(true)
  })

  it('selects the database from the Host header through dbfilter, like odoo/http.py', async () => {
    const loginA = await http(httpPort, '/web/login', {host: `${dbA}.example.com`})
    const loginB = await http(httpPort, '/web/login', {host: `${dbB}.example.com`})
    expect([loginA.status, loginA.body]).to.satisfy(([s, b]: [number, string]) => s === 200 && b.includes(`value="${dbA}"`))
    expect(loginB.body).to.contain(`value="${dbB}"`).and.not.contain(dbA)
    const none = await http(httpPort, '/web/login', {host: 'unknown.example.com'})
    expect([none.status, none.headers.location]).to.deep.equal([303, '/web/database/selector'])
    // proxy_mode: X-Forwarded-Host decides, not Host.
    const forwarded = await http(httpPort, '/web/login', {host: '127.0.0.1', headers: {'X-Forwarded-Host': `${dbB}.example.com`}})
    expect(forwarded.body).to.contain(`value="${dbB}"`)
    // Tenant B's Host cannot open a session on tenant A's database, even with A's credentials.
    const cross = await jsonRpc(httpPort, '/web/session/authenticate', {db: dbA, login: 'admin', password: 'n3w-secret'}, `${dbB}.example.com`)
    expect(cross.error?.data).to.include({name: 'odoo.exceptions.AccessError', message: 'Database not found.'})
    const own = await jsonRpc(httpPort, '/web/session/authenticate', {db: dbB, login: 'admin', password: 'admin'}, `${dbB}.example.com`)
    expect(own.result).to.include({uid: 2, db: dbB})
  })

  it('does not apply dbfilter to XML-RPC: the call names its database (odoo/service/model.py)', async () => {
    expect((await xmlrpc(httpPort, 'common', 'authenticate', [dbB, 'admin', 'admin', {}])).result).to.equal(2)
    const listed = await xmlrpc(httpPort, 'db', 'list', [])
    expect(listed.fault?.code).to.equal(3) // list_db = False
  })

  it('upgrades /websocket on the HTTP port with workers = 0, and stops cleanly on SIGTERM', async () => {
    const bad = await http(httpPort, '/websocket')
    expect(bad.status).to.equal(400)
    const ok = await http(httpPort, '/websocket', {headers: {Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ=='}})
    expect(ok.status).to.equal(101)
    expect(ok.headers['sec-websocket-accept']).to.equal('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
    server!.kill('SIGTERM')
    const ended = await server!
    server = undefined
    expect(ended.exitCode).to.equal(0)
    expect(readFileSync(join(work, 'odoo-server.log'), 'utf8')).to.contain('Initiating shutdown')
  })

  it('opens gevent_port for websockets only with workers > 0, and reports PostgreSQL down', async () => {
    const [web, evented, deadPg] = [await freePort(), await freePort(), await freePort()]
    const conf2 = writeConfig(work, {db_host: '127.0.0.1', db_port: deadPg, db_user: role, http_interface: '127.0.0.1', http_port: web, gevent_port: evented, workers: 2, data_dir: join(work, 'data2')})
    const proc = startOdoo(root, ['-c', conf2])
    try {
      await waitHealthy(web)
      const handshake = {Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ=='}
      const onHttp = await http(web, '/websocket', {headers: handshake})
      expect(onHttp.status).to.equal(500)
      expect(onHttp.body).to.contain(`opened on the evented port (${evented})`)
      expect((await http(evented, '/websocket', {headers: handshake})).status).to.equal(101)
      const deep = await http(web, '/web/health?db_server_status=1')
      expect([deep.status, JSON.parse(deep.body)]).to.deep.equal([500, {status: 'fail', db_server_status: false}])
    } finally {
      proc.kill('SIGTERM')
      await proc
    }
  })
})
