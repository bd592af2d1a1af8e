import {expect} from 'chai'
import {execa} from 'execa'
import {OdooRpcError} from '../../src/lib/odoo/errors.js'
import {parseMethodCall, parseMethodResponse, serializeFault, serializeMethodCall, serializeMethodResponse, type XmlRpcValue} from '../../src/lib/odoo/xmlrpc.js'
import {hostileStrings} from '../ssh/hostile-strings.js'
import {thrownBy} from '../helpers/failure.js'

// Python's own xmlrpc.client is the reference: Odoo serves XML-RPC with it (odoo/addons/base/controllers/rpc.py).
// Values are compared through a tagged form both sides compute the same way: [type, value].
const PY = `
import base64, datetime, json, math, sys, traceback, xmlrpc.client

def tag(v):
    if isinstance(v, bool): return ['bool', v]
    if isinstance(v, int): return ['int', str(v)]
    if isinstance(v, float): return ['double', v if math.isfinite(v) else repr(v)]
    if isinstance(v, str): return ['str', v]
    if v is None: return ['nil']
    if isinstance(v, datetime.datetime): return ['datetime', v.isoformat()]
    if isinstance(v, (bytes, bytearray)): return ['base64', base64.b64encode(v).decode()]
    if isinstance(v, xmlrpc.client.Binary): return ['base64', base64.b64encode(v.data).decode()]
    if isinstance(v, (list, tuple)): return ['array', [tag(x) for x in v]]
    if isinstance(v, dict): return ['struct', [[k, tag(x)] for k, x in v.items()]]
    raise TypeError(type(v))

mode, text = sys.argv[1], sys.stdin.read()
if mode == 'load':
    # What Odoo does with a request body (plus builtin types, to compare bytes and datetimes).
    params, method = xmlrpc.client.loads(text.encode('utf-8'), use_builtin_types=True)
    print(json.dumps({'method': method, 'params': tag(list(params))}))
elif mode == 'dump':
    # A response as Python writes it, and what Python itself reads back from it.
    value = eval(text, {'datetime': datetime, 'xmlrpc': xmlrpc})
    xml = xmlrpc.client.dumps((value,), methodresponse=True, allow_none=True)
    reread = xmlrpc.client.loads(xml, use_builtin_types=True)[0][0]
    print(json.dumps({'xml': xml, 'tag': tag(reread)}))
elif mode == 'compare':
    # Is what the caller re-sent equal to what Python reads from its own writing of the value?
    source, xml = text.split('\\n---\\n', 1)
    value = eval(source, {'datetime': datetime, 'xmlrpc': xmlrpc})
    (back,), _ = xmlrpc.client.loads(xml.encode('utf-8'), use_builtin_types=True)
    print(json.dumps({'equal': back == xmlrpc.client.loads(xmlrpc.client.dumps((value,), allow_none=True), use_builtin_types=True)[0][0], 'back': tag(back)}))
elif mode == 'fault':
    code, kind = text.split(' ', 1)
    if kind == 'traceback':
        try:
            try:
                {}['no.such.model']
            except KeyError as exc:
                raise RuntimeError('wrapped\\nsecond line of the message') from exc
        except RuntimeError:
            message = traceback.format_exc()
    else:
        message = kind
    print(json.dumps({'xml': xmlrpc.client.dumps(xmlrpc.client.Fault(int(code), message)), 'string': message}))
elif mode == 'refuses':
    try:
        xmlrpc.client.dumps((eval(text),))
        print(json.dumps({'error': None}))
    except Exception as exc:
        print(json.dumps({'error': str(exc)}))
`

async function python<T>(mode: string, input: string): Promise<T> {
  const {stdout} = await execa('python3', ['-c', PY, mode], {input})
  return JSON.parse(stdout) as T
}

type Tag = [string, ...unknown[]]

/** The same tagged form in JavaScript. JavaScript has one number type: safe integers tag as 'int'. */
function tag(value: XmlRpcValue): Tag {
  if (value === null) return ['nil']
  if (typeof value === 'boolean') return ['bool', value]
  if (typeof value === 'bigint') return ['int', String(value)]
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return ['int', String(value)]
    if (Number.isNaN(value)) return ['double', 'nan']
    if (!Number.isFinite(value)) return ['double', value > 0 ? 'inf' : '-inf']
    return ['double', value]
  }
  if (typeof value === 'string') return ['str', value]
  if (value instanceof Date) return ['datetime', value.toISOString().slice(0, 19)]
  if (Buffer.isBuffer(value)) return ['base64', value.toString('base64')]
  if (Array.isArray(value)) return ['array', value.map(tag)]
  return ['struct', Object.entries(value).map(([k, v]) => [k, tag(v)])]
}

// eslint-disable-next-line no-control-regex -- the control characters XML 1.0 forbids
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/
const STRINGS = [
  ...hostileStrings().filter((s) => !XML_INVALID.test(s)),
  ']]>', '&amp;', '&lt;x&gt;', '<![CDATA[x]]>', '<!DOCTYPE x>', '&#13;', '<value><int>1</int></value>', '\u00a0nbsp\u00a0', '\ud83d\ude00', 'x'.repeat(10_000),
]

// Python values for the responses direction (Python source; eval'd by the helper).
const PY_VALUES = `[
  0, 1, -1, 2**31 - 1, -2**31, True, False,
  '', ' ', '  spaced  ', 'tab\\tnewline\\n', 'cr\\r\\nlf', '<&>"\\'', 'é€😀 日本語', '\\u202e', '\\ufeff',
  0.5, -1.25e-10, 1e300, 123456.789, float('inf'), float('-inf'),
  None,
  datetime.datetime(2026, 11, 23, 10, 0, 0), datetime.datetime(1, 1, 1, 0, 0, 0), datetime.datetime(9999, 12, 31, 23, 59, 59),
  xmlrpc.client.Binary(bytes(range(256)) * 3), xmlrpc.client.Binary(b''),
  [], {}, [[[]]], [1, 'two', [3.5, None], {'k': False}],
  {'name': 'Administrator', 'id': 2, 'groups_id': [1, 2, 3], 'nested': {'deep': {'deeper': ['x']}}},
  {'__proto__': {'polluted': True}, 'constructor': 'c', 'toString': 1, 'a b': 1, '<k&>': 2, '': 3, 'é': 4},
]`

describe('odoo: XML-RPC against Python xmlrpc.client', function () {
  this.timeout(60_000)

  describe('requests (we write, Python reads as Odoo does)', () => {
    it('carries every type exactly', async () => {
      const values: XmlRpcValue[] = [
        0, 1, -1, 2 ** 31 - 1, -(2 ** 31), true, false, 0.5, -1.25e-10, 1e300, 123456.789, Infinity, -Infinity, null,
        new Date(Date.UTC(2026, 10, 23, 10, 0, 0)), new Date(Date.UTC(1, 0, 1)), Buffer.from([0, 1, 2, 253, 254, 255]), Buffer.alloc(0),
        [], {}, [[[]]], [1, 'two', [3.5, null], {k: false}], {name: 'Administrator', id: 2, groups: [1, 2, 3], nested: {deep: {deeper: ['x']}}},
      ]
      const read = await python<{method: string; params: Tag}>('load', serializeMethodCall('execute_kw', values))
      expect(read.method).to.equal('execute_kw')
      expect(read.params).to.deep.equal(['array', values.map(tag)])
    })

    it('carries 200+ hostile strings byte for byte (CR included), as values and as struct member names', async () => {
      const struct = Object.fromEntries(STRINGS.map((s, i) => [`${s}#${i}`, s]))
      const read = await python<{params: Tag}>('load', serializeMethodCall('m', [STRINGS, struct]))
      expect(read.params).to.deep.equal(['array', [tag(STRINGS), tag(struct)]])
    })

    it('sends integers beyond int32 as <i8>, which Python reads although its own writer refuses them', async () => {
      const refused = await python<{error: string | null}>('refuses', '2**31')
      expect(refused.error).to.equal('int exceeds XML-RPC limits')
      const xml = serializeMethodCall('m', [2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, 2n ** 63n - 1n, -(2n ** 63n)])
      expect(xml).to.contain('<i8>2147483648</i8>')
      const read = await python<{params: Tag}>('load', xml)
      expect(read.params).to.deep.equal(['array', [['int', '2147483648'], ['int', '-2147483649'], ['int', '9007199254740991'], ['int', '9223372036854775807'], ['int', '-9223372036854775808']]])
      expect(thrownBy(() => serializeMethodCall('m', [2n ** 63n])).code).to.equal('XMLRPC_UNSERIALIZABLE')
    })

    it('drops undefined struct members, sends undefined/null elsewhere as <nil/>, and truncates dates to the second in UTC', async () => {
      const read = await python<{params: Tag}>('load', serializeMethodCall('m', [{a: undefined, b: 1}, [undefined, null], new Date('2026-11-23T10:00:00.999+02:00')]))
      expect(read.params).to.deep.equal(['array', [['struct', [['b', ['int', '1']]]], ['array', [['nil'], ['nil']]], ['datetime', '2026-11-23T08:00:00']]])
    })

    it('refuses what XML-RPC cannot carry, naming where it is', () => {
      const control = thrownBy(() => serializeMethodCall('m', [{lines: [{name: 'bad\u0001char'}]}]))
      expect(control.code).to.equal('XMLRPC_UNSERIALIZABLE')
      expect(control.message).to.contain('params[0].lines[0].name').and.contain('U+0001')
      expect(thrownBy(() => serializeMethodCall('m', ['\ud800 lone surrogate'])).message).to.contain('U+D800')
      expect(thrownBy(() => serializeMethodCall('m', [new Map()])).message).to.contain('a Map instance')
      expect(thrownBy(() => serializeMethodCall('m', [() => 1])).message).to.contain('no function type')
      expect(thrownBy(() => serializeMethodCall('m', [new Date('x')])).message).to.contain('invalid Date')
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      expect(thrownBy(() => serializeMethodCall('m', [cyclic])).message).to.contain('params[0].self').and.contain('cycle')
      expect(thrownBy(() => serializeMethodCall('bad name', [])).code).to.equal('XMLRPC_UNSERIALIZABLE')
    })
  })

  describe('responses (Python writes, we read)', () => {
    it('reads every value exactly as Python reads its own output', async () => {
      const {xml, tag: expected} = await python<{xml: string; tag: Tag}>('dump', PY_VALUES)
      const value = parseMethodResponse(xml)
      expect(tag(value)).to.deep.equal(expected)
      // A member named __proto__ is an own property, not the object's prototype.
      const last = (value as XmlRpcValue[]).at(-1) as Record<string, XmlRpcValue>
      expect(Object.getPrototypeOf(last)).to.equal(Object.prototype)
      expect(Object.keys(last)).to.include('__proto__')
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined)
    })

    it('round-trips Python -> odoops -> Python to an equal value (a whole float like 2.0 comes back as int 2, which Python compares equal)', async () => {
      const source = `${PY_VALUES} + [2.0, -0.0, 1e-05]`
      const {xml} = await python<{xml: string}>('dump', source)
      const resent = serializeMethodCall('echo', [parseMethodResponse(xml)])
      const result = await python<{equal: boolean; back: Tag}>('compare', `${source}\n---\n${resent}`)
      expect(result.equal).to.equal(true)
    })

    it('reads the forms Python never writes but the spec and other servers use', () => {
      const respond = (value: string) => parseMethodResponse(`<?xml version="1.0"?><methodResponse><params><param>${value}</param></params></methodResponse>`)
      expect(respond('<value>  untyped keeps its spaces  </value>')).to.equal('  untyped keeps its spaces  ')
      expect(respond('<value/>')).to.equal('')
      expect(respond('<value></value>')).to.equal('')
      expect(respond('<value><string/></value>')).to.equal('')
      expect(respond('<value><string>\n</string></value>')).to.equal('\n')
      expect(respond('<value><string>a&#13;&#x41;&#65;&quot;&apos;&lt;</string></value>')).to.equal('a\rAA"\'<')
      expect(respond('<value><string><![CDATA[x &amp; <y>]]> and &amp;</string></value>')).to.equal('x &amp; <y> and &')
      expect(respond('<value><i4>7</i4></value>')).to.equal(7)
      expect(respond('<value><int> 42 </int></value>')).to.equal(42)
      expect(respond('<value><int>9007199254740993</int></value>')).to.equal(9007199254740993n)
      expect(respond('<value><ex:i8 xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions">-9223372036854775808</ex:i8></value>')).to.equal(-(2n ** 63n))
      expect(respond('<value><ex:nil/></value>')).to.equal(null)
      expect(Number.isNaN(respond('<value><double>nan</double></value>'))).to.equal(true)
      expect(respond('<value><double>-1.5E+3</double></value>')).to.equal(-1500)
      expect((respond('<value><dateTime.iso8601>20261123T10:00:00</dateTime.iso8601></value>') as Date).toISOString()).to.equal('2026-11-23T10:00:00.000Z')
      expect((respond('<value><dateTime.iso8601>2026-11-23T10:00:00+02:00</dateTime.iso8601></value>') as Date).toISOString()).to.equal('2026-11-23T08:00:00.000Z')
      expect(respond('<value><base64>\n  aGVs\nbG8=\n</base64></value>')).to.deep.equal(Buffer.from('hello'))
      expect(respond('<value><struct>\n<member>\n<name>a</name>\n<value><int>1</int></value>\n</member>\n</struct></value>')).to.deep.equal({a: 1})
      // Python's writer in another encoding (dumps(..., encoding='iso-8859-1')) declares it.
      const latin1 = Buffer.from("<?xml version='1.0' encoding='iso-8859-1'?><methodResponse><params><param><value><string>\xe9t\xe9</string></value></param></params></methodResponse>", 'latin1')
      expect(parseMethodResponse(latin1)).to.equal('été')
    })

    it('refuses a DOCTYPE (no entity is ever expanded), malformed or truncated XML, and unknown types', () => {
      const bomb = '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><methodResponse><params><param><value><string>&b;</string></value></param></params></methodResponse>'
      const errors = [
        bomb,
        '<methodResponse><params><param><value><string>x</string></value></param>',
        '<methodResponse><params><param><value><string>x</value></string></param></params></methodResponse>',
        '<methodResponse><params><param><value><string>&nbsp;</string></value></param></params></methodResponse>',
        '<methodResponse><params><param><value><string>&constructor;</string></value></param></params></methodResponse>',
        '<methodResponse><params><param><value><float>1</float></value></param></params></methodResponse>',
        '<methodResponse><params><param><value><int>1.5</int></value></param></params></methodResponse>',
        '<methodResponse><params><param><value><boolean>true</boolean></value></param></params></methodResponse>',
        '<methodResponse><params><param><value><int>1</int><int>2</int></value></param></params></methodResponse>',
        '<methodResponse><params></params></methodResponse>',
        '<html><body>502 Bad Gateway</body></html>',
        '',
        Buffer.from([0x3c, 0x61, 0xff, 0x3e]),
      ].map((body) => thrownBy(() => parseMethodResponse(body, 'common.version')))
      for (const error of errors) expect(error.code, error.message).to.equal('XMLRPC_INVALID_RESPONSE')
      expect(errors[0].message).to.contain('DOCTYPE').and.not.contain('aaaa')
      expect(errors[1].message).to.match(/^The answer to common\.version is not valid XML-RPC/)
      expect(errors[5].message).to.contain('unknown type <float>')
    })
  })

  describe('faults', () => {
    it('turns an Odoo fault into OdooRpcError: code 3 is ODOO_ACCESS_DENIED', async () => {
      const {xml} = await python<{xml: string}>('fault', '3 Access Denied')
      const error = thrownBy(() => parseMethodResponse(xml, 'res.partner.search on database "a"'))
      expect(error).to.be.instanceOf(OdooRpcError)
      expect(error.code).to.equal('ODOO_ACCESS_DENIED')
      expect(error.message).to.equal('Odoo refused res.partner.search on database "a": Access Denied')
      expect((error as OdooRpcError).faultCode).to.equal(3)
    })

    it('summarizes a traceback fault by its final exception line, keeping the whole text', async () => {
      const {xml, string} = await python<{xml: string; string: string}>('fault', '1 traceback')
      const error = thrownBy(() => parseMethodResponse(xml)) as OdooRpcError
      expect(error.code).to.equal('ODOO_RPC_FAULT')
      expect(error.message).to.equal('Odoo answered with a fault: RuntimeError: wrapped')
      expect(error.faultString).to.equal(string)
      expect(string).to.contain("KeyError: 'no.such.model'").and.contain('second line of the message')
    })

    it('reads our own fault and response documents (for fakes) the same way Python does', async () => {
      expect(thrownBy(() => parseMethodResponse(serializeFault(2, 'You can not have two users with the same login!'))).message).to.equal(
        'Odoo answered with a fault: You can not have two users with the same login!',
      )
      expect(parseMethodResponse(serializeMethodResponse({ok: [1, 'x']}))).to.deep.equal({ok: [1, 'x']})
      expect(parseMethodCall(serializeMethodCall('authenticate', ['db', 'admin', 'pw', {}]))).to.deep.equal({methodName: 'authenticate', params: ['db', 'admin', 'pw', {}]})
    })
  })
})
