import {expect} from 'chai'
import {createServer, type IncomingMessage, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {
  checkPasswordLogin,
  JSON2_SIGNATURES,
  Json2Session,
  json2Request,
  openOdooSession,
  urlTransport,
  type HttpTransport,
} from '../../src/lib/odoo/index.js'
import {parseMethodCall, serializeMethodResponse} from '../../src/lib/odoo/xmlrpc.js'
import {failure, thrownBy} from '../helpers/failure.js'

const KEY = '0123456789abcdef0123456789abcdef01234567'

interface Seen {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: string
}

type Answer = {status?: number; type?: string; body: unknown}

/** A local HTTP server answering each request with `answer(request)`; records what it saw. */
async function fakeOdoo(answer: (seen: Seen) => Answer): Promise<{transport: HttpTransport; seen: Seen[]; close(): Promise<void>}> {
  const seen: Seen[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const request = {method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8')}
      seen.push(request)
      const reply = answer(request)
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)
      res.writeHead(reply.status ?? 200, {'Content-Type': reply.type ?? 'application/json'})
      res.end(text)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const transport = urlTransport(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  return {
    transport,
    seen,
    async close() {
      await transport.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Answers JSON-2 like Odoo 19 for a known key: context_get, and echoes other calls' bodies. */
function json2Odoo(seen: Seen): Answer {
  if (!seen.path.startsWith('/json/2/')) return {status: 404, type: 'text/html', body: '<html>Not Found</html>'}
  if (seen.headers.authorization !== `bearer ${KEY}`) {
    return {status: 401, body: {name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey', arguments: ['Invalid apikey', 401], debug: 'Traceback…'}}
  }
  if (seen.path === '/json/2/res.users/context_get') return {body: {lang: 'en_US', tz: false, uid: 2}}
  if (seen.path === '/json/2/res.partner/create') return {body: [41]}
  return {body: {echo: JSON.parse(seen.body)}}
}

describe('odoo: JSON-2 argument mapping (positional → named)', () => {
  it('names every positional argument of every method in the table, after the ids of record methods', () => {
    for (const [method, signature] of Object.entries(JSON2_SIGNATURES)) {
      const values = signature.params.map((name, i) => `${name}-value-${i}`)
      const args = signature.ids ? [[7, 8], ...values] : values
      const {body} = json2Request('some.model', method, args)
      const expected: Record<string, unknown> = signature.ids ? {ids: [7, 8]} : {}
      signature.params.forEach((name, i) => (expected[name] = values[i]))
      expect(body, method).to.deep.equal(expected)
      // One positional argument too many is refused, naming the method.
      const error = thrownBy(() => json2Request('some.model', method, [...args, 'extra']))
      expect(error.code, method).to.equal('ODOO_JSON2_POSITIONAL_ARGS')
      expect(error.message).to.contain(`some.model.${method}`)
    }
  })

  it('maps the calls odoops and packs make as Odoo 19 names them', () => {
    expect(json2Request('res.partner', 'search_read', [[['name', '=', 'x']]], {fields: ['name'], limit: 5}).body).to.deep.equal({domain: [['name', '=', 'x']], fields: ['name'], limit: 5})
    expect(json2Request('res.company', 'read', [[1], ['name', 'country_id']]).body).to.deep.equal({ids: [1], fields: ['name', 'country_id']})
    expect(json2Request('res.company', 'write', [[1], {name: 'Acme'}]).body).to.deep.equal({ids: [1], vals: {name: 'Acme'}})
    expect(json2Request('res.country', 'search', [[['code', '=', 'BE']]]).body).to.deep.equal({domain: [['code', '=', 'BE']]})
    expect(json2Request('res.users', 'search_count', [[]]).body).to.deep.equal({domain: []})
    expect(json2Request('ir.config_parameter', 'get_param', ['web.base.url']).body).to.deep.equal({key: 'web.base.url'})
    expect(json2Request('ir.config_parameter', 'set_param', ['web.base.url', 'https://a.example']).body).to.deep.equal({key: 'web.base.url', value: 'https://a.example'})
    expect(json2Request('res.users', 'fields_get', [['group_ids', 'groups_id']], {attributes: ['type']}).body).to.deep.equal({allfields: ['group_ids', 'groups_id'], attributes: ['type']})
    expect(json2Request('res.partner', 'unlink', [[3, 4]]).body).to.deep.equal({ids: [3, 4]})
    expect(json2Request('res.partner', 'name_search', ['Ac'], {limit: 3}).body).to.deep.equal({name: 'Ac', limit: 3})
  })

  it('sends one dict to create as a one-item vals_list and unwraps the id, as XML-RPC answers it', () => {
    expect(json2Request('res.partner', 'create', [{name: 'A'}])).to.deep.equal({body: {vals_list: [{name: 'A'}]}, single: true})
    expect(json2Request('res.partner', 'create', [[{name: 'A'}, {name: 'B'}]])).to.deep.equal({body: {vals_list: [{name: 'A'}, {name: 'B'}]}, single: false})
    expect(json2Request('res.partner', 'copy', [[5]]).single).to.equal(true)
  })

  it('passes kwargs through, context included, and refuses one given twice', () => {
    const {body} = json2Request('res.users', 'search_read', [[['login', '=', 'x']]], {fields: ['login'], context: {active_test: false}, order: 'id'})
    expect(body).to.deep.equal({domain: [['login', '=', 'x']], fields: ['login'], context: {active_test: false}, order: 'id'})
    expect(thrownBy(() => json2Request('res.users', 'search_read', [[]], {domain: []})).code).to.equal('ODOO_JSON2_POSITIONAL_ARGS')
  })

  it('takes the ids of any other method by position (a list of integers, or one), nothing else', () => {
    expect(json2Request('account.move', 'action_post', [[12, 13]]).body).to.deep.equal({ids: [12, 13]})
    expect(json2Request('account.move', 'action_post', [12]).body).to.deep.equal({ids: [12]})
    expect(json2Request('account.move', 'action_post', [], {context: {lang: 'fr_FR'}}).body).to.deep.equal({context: {lang: 'fr_FR'}})
    const extra = thrownBy(() => json2Request('account.move', 'action_register_payment', [[12], 'now']))
    expect(extra.code).to.equal('ODOO_JSON2_POSITIONAL_ARGS')
    expect(extra.message).to.contain('account.move.action_register_payment').and.contain('action_register_payment')
    expect(extra.suggestions.join(' ')).to.contain('kwargs')
    // A first argument that is not ids (a domain) of an unknown method.
    expect(thrownBy(() => json2Request('x.model', 'custom_search', [[['a', '=', 1]]])).code).to.equal('ODOO_JSON2_POSITIONAL_ARGS')
    // A table record method whose first argument is not ids.
    expect(thrownBy(() => json2Request('res.partner', 'write', [{name: 'x'}])).message).to.contain("records' ids")
  })
})

describe('odoo: JSON-2 session over HTTP', () => {
  it('sends the bearer key, the database and the named body; resolves the uid once', async () => {
    const odoo = await fakeOdoo(json2Odoo)
    try {
      const session = await Json2Session.open(odoo.transport, {db: 'acme', apiKey: KEY, login: 'admin'})
      expect(session).to.include({db: 'acme', login: 'admin', uid: 2, protocol: 'json-2'})
      const answer = await session.call('res.partner', 'search_read', [[['id', '>', 0]]], {fields: ['name'], context: {lang: 'nl_BE'}})
      expect(answer).to.deep.equal({echo: {domain: [['id', '>', 0]], fields: ['name'], context: {lang: 'nl_BE'}}})
      expect(await session.call('res.partner', 'create', [{name: 'A'}])).to.equal(41)
      const [open, call] = odoo.seen
      expect(open).to.include({method: 'POST', path: '/json/2/res.users/context_get', body: '{}'})
      expect(call.path).to.equal('/json/2/res.partner/search_read')
      expect(call.headers).to.include({authorization: `bearer ${KEY}`, 'x-odoo-database': 'acme'})
      expect(call.headers['content-type']).to.match(/^application\/json/)
    } finally {
      await odoo.close()
    }
  })

  it('turns 401 into ODOO_AUTH_FAILED without the key in the message', async () => {
    const odoo = await fakeOdoo(json2Odoo)
    try {
      const error = await failure(Json2Session.open(odoo.transport, {db: 'acme', apiKey: 'f'.repeat(40), login: 'admin'}))
      expect(error.code).to.equal('ODOO_AUTH_FAILED')
      expect(error.message).to.contain('HTTP 401').and.contain('Invalid apikey').and.not.contain('ffffffff')
    } finally {
      await odoo.close()
    }
  })

  it("turns Odoo's error documents into errors naming its exception and message (422, 403 AccessError, 403 AccessDenied, not JSON)", async () => {
    const odoo = await fakeOdoo((seen) => {
      if (seen.path.endsWith('/context_get')) return {body: {uid: 2}}
      if (seen.path.endsWith('/validation')) {
        return {status: 422, body: {name: 'odoo.exceptions.ValidationError', message: 'The VAT number is not valid', arguments: ['The VAT number is not valid'], context: {}, debug: 'Traceback …'}}
      }
      if (seen.path.endsWith('/forbidden')) return {status: 403, body: {name: 'odoo.exceptions.AccessError', message: 'You are not allowed to modify Users', arguments: [], context: {}, debug: ''}}
      if (seen.path.endsWith('/denied')) return {status: 403, body: {name: 'odoo.exceptions.AccessDenied', message: 'Access Denied', arguments: [], context: {}, debug: ''}}
      return {status: 502, type: 'text/html', body: '<html>502 Bad Gateway</html>'}
    })
    try {
      const session = await Json2Session.open(odoo.transport, {db: 'acme', apiKey: KEY, login: 'admin'})
      const invalid = await failure(session.call('res.partner', 'validation', [[1]]))
      expect(invalid.code).to.equal('ODOO_JSON2_ERROR')
      expect(invalid.message).to.equal('Odoo refused res.partner.validation on database "acme" (HTTP 422, odoo.exceptions.ValidationError): The VAT number is not valid')
      expect(invalid.data).to.include({status: 422, exception: 'odoo.exceptions.ValidationError'})
      const forbidden = await failure(session.call('res.users', 'forbidden', [[1]]))
      expect(forbidden.code).to.equal('ODOO_JSON2_ERROR')
      expect(forbidden.message).to.contain('odoo.exceptions.AccessError').and.contain('You are not allowed to modify Users')
      expect((await failure(session.call('res.users', 'denied', [[1]]))).code).to.equal('ODOO_AUTH_FAILED')
      const proxy = await failure(session.call('res.users', 'other', [[1]]))
      expect(proxy.code).to.equal('ODOO_JSON2_INVALID_RESPONSE')
      expect(proxy.message).to.contain('HTTP 502').and.contain('Bad Gateway')
    } finally {
      await odoo.close()
    }
  })
})

/** Odoo before 19: XML-RPC common.version/authenticate and object.execute_kw; no /web/version. */
function xmlRpcOdoo(major: number): (seen: Seen) => Answer {
  return (seen) => {
    if (seen.path === '/xmlrpc/2/common') {
      const {methodName, params} = parseMethodCall(seen.body)
      if (methodName === 'version') return {type: 'text/xml', body: serializeMethodResponse({server_version: `${major}.0`, server_version_info: [major, 0, 0, 'final', 0, ''], server_serie: `${major}.0`, protocol_version: 1})}
      return {type: 'text/xml', body: serializeMethodResponse(params[2] === 'pw' ? 2 : false)}
    }
    if (seen.path === '/xmlrpc/2/object') {
      const {params} = parseMethodCall(seen.body)
      return {type: 'text/xml', body: serializeMethodResponse(`${params[3] as string}.${params[4] as string} as uid ${params[1] as number}`)}
    }
    return {status: 404, type: 'text/html', body: 'Not Found'}
  }
}

describe('odoo: openOdooSession picks the API by series', () => {
  it('XML-RPC with the password before 19.0, even when a key is given', async () => {
    const odoo = await fakeOdoo(xmlRpcOdoo(17))
    try {
      const session = await openOdooSession({transport: odoo.transport, series: '17.0', db: 'acme', login: 'admin', password: 'pw', apiKey: KEY})
      expect(session).to.include({protocol: 'xml-rpc', major: 17, uid: 2, db: 'acme'})
      expect(await session.call('res.partner', 'search', [[]])).to.equal('res.partner.search as uid 2')
      expect(odoo.seen.map((s) => s.path)).to.deep.equal(['/xmlrpc/2/common', '/xmlrpc/2/object'])
    } finally {
      await odoo.close()
    }
  })

  it('JSON-2 with the key on 19.0, never XML-RPC; refuses 19.0 without a key', async () => {
    const odoo = await fakeOdoo(json2Odoo)
    try {
      const session = await openOdooSession({transport: odoo.transport, series: '19.0', db: 'acme', login: 'admin', password: 'pw', apiKey: KEY})
      expect(session).to.include({protocol: 'json-2', major: 19, uid: 2})
      await session.call('res.partner', 'search', [[]])
      expect(odoo.seen.every((s) => s.path.startsWith('/json/2/'))).to.equal(true)
      const missing = await failure(openOdooSession({transport: odoo.transport, series: '19.0', db: 'acme', login: 'admin', password: 'pw', missingKeySuggestions: ['odoops tenant rotate-key acme']}))
      expect(missing.code).to.equal('ODOO_API_KEY_MISSING')
      expect(missing.suggestions).to.deep.equal(['odoops tenant rotate-key acme'])
    } finally {
      await odoo.close()
    }
  })

  it('asks GET /web/version when the series is unknown, else XML-RPC common.version', async () => {
    const v20 = await fakeOdoo((seen) => (seen.path === '/web/version' ? {body: {version_info: [20, 0, 0, 'final', 0, ''], version: '20.0'}} : json2Odoo(seen)))
    try {
      expect((await openOdooSession({transport: v20.transport, db: 'acme', login: 'admin', apiKey: KEY})).protocol).to.equal('json-2')
      expect(v20.seen[0]).to.include({method: 'GET', path: '/web/version'})
    } finally {
      await v20.close()
    }
    const v18 = await fakeOdoo(xmlRpcOdoo(18))
    try {
      const session = await openOdooSession({transport: v18.transport, db: 'acme', login: 'admin', password: 'pw', apiKey: KEY})
      expect(session).to.include({protocol: 'xml-rpc', major: 18})
    } finally {
      await v18.close()
    }
  })
})

describe('odoo: password login check', () => {
  it('19.0+: POST /web/session/authenticate (JSON-RPC 2.0); AccessDenied is false, other errors throw', async () => {
    const odoo = await fakeOdoo((seen) => {
      const {params} = JSON.parse(seen.body) as {params: {db: string; login: string; password: string}}
      if (params.db !== 'acme') return {body: {jsonrpc: '2.0', id: 1, error: {code: 200, message: 'Odoo Server Error', data: {name: 'odoo.exceptions.AccessError', message: 'Database not found.'}}}}
      if (params.password === 'right') return {body: {jsonrpc: '2.0', id: 1, result: {uid: 2, db: 'acme'}}}
      return {body: {jsonrpc: '2.0', id: 1, error: {code: 200, message: 'Odoo Server Error', data: {name: 'odoo.exceptions.AccessDenied', message: 'Access Denied'}}}}
    })
    try {
      expect(await checkPasswordLogin(odoo.transport, 19, 'acme', 'admin', 'right')).to.equal(true)
      expect(await checkPasswordLogin(odoo.transport, 19, 'acme', 'admin', 'admin')).to.equal(false)
      const error = await failure(checkPasswordLogin(odoo.transport, 19, 'other', 'admin', 'right'))
      expect(error.message).to.contain('Database not found.')
      expect(odoo.seen[0].path).to.equal('/web/session/authenticate')
      expect(JSON.parse(odoo.seen[0].body)).to.deep.include({jsonrpc: '2.0', method: 'call', params: {db: 'acme', login: 'admin', password: 'right'}})
    } finally {
      await odoo.close()
    }
  })

  it('before 19.0: XML-RPC common.authenticate', async () => {
    const odoo = await fakeOdoo(xmlRpcOdoo(17))
    try {
      expect(await checkPasswordLogin(odoo.transport, 17, 'acme', 'admin', 'pw')).to.equal(true)
      expect(await checkPasswordLogin(odoo.transport, 17, 'acme', 'admin', 'admin')).to.equal(false)
      expect(odoo.seen.map((s) => s.path)).to.deep.equal(['/xmlrpc/2/common', '/xmlrpc/2/common'])
    } finally {
      await odoo.close()
    }
  })
})
