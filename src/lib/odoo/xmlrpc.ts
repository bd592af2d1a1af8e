/**
 * XML-RPC (http://xmlrpc.com/spec.md) as Odoo speaks it: Odoo serves /xmlrpc/2/<service>
 * with Python's xmlrpc.client `loads`/`dumps` (odoo/addons/base/controllers/rpc.py), so the
 * reference for every choice here is CPython's Lib/xmlrpc/client.py:
 *
 * Requests (we serialize; Python's Unmarshaller reads):
 * - strings in <string>, escaping &, < and > as Python's `escape` does, plus CR as &#13;
 *   (a raw CR would be turned into LF by the XML parser's line-end normalization);
 *   characters XML 1.0 cannot carry (C0 controls other than TAB/LF/CR, U+FFFE/U+FFFF,
 *   lone surrogates) are refused: expat rejects them, so Python would answer a parse error.
 * - integers in the int32 range as <int>; larger safe integers and bigints as <i8>: Python's
 *   Marshaller refuses to WRITE them ("int exceeds XML-RPC limits"), but its Unmarshaller reads
 *   <int>, <i4>, <i8> and <biginteger> with int(), so any size arrives as a Python int.
 * - other numbers as <double> (Python's float() reads "1e+21", "inf", "nan").
 * - Date as <dateTime.iso8601> `YYYYMMDDTHH:MM:SS` in UTC (Python's strptime format). Odoo 17 loads
 *   requests without use_datetime, so it gets an xmlrpc.client.DateTime the ORM does not take
 *   for a Datetime field: send Odoo dates as 'YYYY-MM-DD HH:MM:SS' strings.
 * - Buffer/Uint8Array as <base64>; arrays as <array>; plain objects as <struct> (members whose
 *   value is undefined are left out, like JSON).
 * - null/undefined as <nil/>: Python's Unmarshaller always reads it (allow_none only governs
 *   writing). Odoo itself never SENDS nil: it dumps responses with allow_none=False, so a
 *   method returning None becomes a fault ("cannot marshal None unless allow_none is enabled").
 *
 * Responses (Python writes; we read, with fast-xml-parser after a well-formedness check):
 * - a <value> without a type element is a string (spec), whitespace kept; <string/> is '';
 * - <int>/<i4>/<i8>/<i1>/<i2>/<biginteger> to number, or bigint beyond 2^53;
 * - <double> (Python writes repr(): 'inf', '-inf', 'nan' too); <boolean> 0/1; <nil/> to null;
 * - <dateTime.iso8601> (`20261123T10:00:00`, no zone: read as UTC) to Date. Odoo itself sends its
 *   datetimes as strings (OdooMarshaller.dump_datetime), so this is rare;
 * - <base64> to Buffer (Python's encodebytes wraps lines every 76 characters);
 * - namespaced tags (<ex:nil/>, <ex:i8>) read as their local name, as Python does.
 * No DTD is processed: a DOCTYPE is refused outright (XML-RPC never has one; entity expansion
 * is the classic XML bomb), and only the five predefined entities and character references
 * are decoded.
 */
import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {OdooRpcError, invalidResponse, unserializable} from './errors.js'

/** A value as parsed from XML-RPC. */
export type XmlRpcValue = null | boolean | number | bigint | string | Date | Buffer | XmlRpcValue[] | XmlRpcStruct
export interface XmlRpcStruct {
  [member: string]: XmlRpcValue
}

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

// ---- serializing ---------------------------------------------------------------------------

/** Characters XML 1.0 cannot carry, even as character references (XML 1.0 §2.2 Char). */
// eslint-disable-next-line no-control-regex -- the control characters XML 1.0 forbids are the point
const INVALID_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function escapeText(text: string, path: string): string {
  const bad = INVALID_XML_CHAR.exec(text)
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')
    throw unserializable(path, `the string holds U+${code} at offset ${bad.index}, which XML 1.0 cannot carry (Odoo's XML parser would reject the request)`)
  }
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;')
}

function formatDouble(value: number): string {
  // Python's float() reads JavaScript's spellings, but write what Python's repr() writes.
  if (Number.isNaN(value)) return 'nan'
  if (value === Infinity) return 'inf'
  if (value === -Infinity) return '-inf'
  return String(value)
}

function formatInteger(value: bigint, path: string): string {
  if (value < INT64_MIN || value > INT64_MAX) throw unserializable(path, `${value} does not fit in 64 bits`)
  const tag = value >= BigInt(INT32_MIN) && value <= BigInt(INT32_MAX) ? 'int' : 'i8'
  return `<${tag}>${value}</${tag}>`
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** `YYYYMMDDTHH:MM:SS` in UTC, the format Python's DateTime writes and strptime reads. */
export function formatDateTime(date: Date, path = 'a date'): string {
  const time = date.getTime()
  if (Number.isNaN(time)) throw unserializable(path, 'invalid Date')
  const year = date.getUTCFullYear()
  if (year < 1 || year > 9999) throw unserializable(path, `year ${year} is outside 1..9999 (Python's datetime range)`)
  return `${pad(year, 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

function describeType(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value
  const name = (Object.getPrototypeOf(value) as {constructor?: {name?: string}} | null)?.constructor?.name
  return name ? `a ${name} instance` : 'an object'
}

/** The `<value>…</value>` of a JavaScript value; `path` names it in errors (`params[2].fields[0]`). */
export function serializeValue(value: unknown, path = 'value', ancestors: object[] = []): string {
  switch (typeof value) {
    case 'undefined':
      return '<value><nil/></value>'
    case 'boolean':
      return `<value><boolean>${value ? 1 : 0}</boolean></value>`
    case 'string':
      return `<value><string>${escapeText(value, path)}</string></value>`
    case 'number':
      if (Number.isSafeInteger(value)) return `<value>${formatInteger(BigInt(value), path)}</value>`
      return `<value><double>${formatDouble(value)}</double></value>`
    case 'bigint':
      return `<value>${formatInteger(value, path)}</value>`
    case 'object':
      break
    default:
      throw unserializable(path, `XML-RPC has no ${typeof value} type`)
  }
  if (value === null) return '<value><nil/></value>'
  if (value instanceof Date) return `<value><dateTime.iso8601>${formatDateTime(value, path)}</dateTime.iso8601></value>`
  if (value instanceof Uint8Array) return `<value><base64>${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}</base64></value>`
  if (ancestors.includes(value)) throw unserializable(path, 'it contains itself (a cycle)')
  const inner = [...ancestors, value]
  if (Array.isArray(value)) {
    const items = value.map((item: unknown, index) => serializeValue(item, `${path}[${index}]`, inner))
    return `<value><array><data>${items.join('')}</data></array></value>`
  }
  if (!isPlainObject(value)) throw unserializable(path, `${describeType(value)} is not a plain object, array, Date or Buffer (convert it first)`)
  const members: string[] = []
  for (const [name, member] of Object.entries(value)) {
    if (member === undefined) continue
    const memberPath = /^[A-Za-z_$][\w$]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`
    members.push(`<member><name>${escapeText(name, `${memberPath} (its name)`)}</name>${serializeValue(member, memberPath, inner)}</member>`)
  }
  return `<value><struct>${members.join('')}</struct></value>`
}

function serializeParams(params: readonly unknown[]): string {
  return `<params>${params.map((param, index) => `<param>${serializeValue(param, `params[${index}]`)}</param>`).join('')}</params>`
}

/** A `<methodCall>` document (UTF-8). */
export function serializeMethodCall(methodName: string, params: readonly unknown[]): string {
  if (!/^[A-Za-z0-9_.:/]+$/.test(methodName)) throw unserializable('the method name', `"${methodName}" has characters the XML-RPC spec does not allow`)
  return `<?xml version="1.0" encoding="UTF-8"?>\n<methodCall><methodName>${methodName}</methodName>${serializeParams(params)}</methodCall>\n`
}

/** A `<methodResponse>` carrying one value (for test servers and fakes). */
export function serializeMethodResponse(value: unknown): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse>${serializeParams([value])}</methodResponse>\n`
}

/** A fault `<methodResponse>` (for test servers and fakes). */
export function serializeFault(faultCode: number, faultString: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse><fault>${serializeValue({faultCode, faultString}, 'the fault')}</fault></methodResponse>\n`
}

// ---- parsing -------------------------------------------------------------------------------

/** fast-xml-parser's preserveOrder tree: `{tag: children}` or `{'#text': text}` / `{'#cdata': [...]}`. */
type XmlNode = Record<string, unknown>

interface Element {
  name: string
  children: XmlNode[]
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  // Entities are decoded below, strictly: fast-xml-parser's own decoding skips character references.
  processEntities: false,
  htmlEntities: false,
  cdataPropName: '#cdata',
  commentPropName: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Namespace prefixes (<ex:nil/>) are dropped in elementOf: fast-xml-parser's removeNSPrefix costs a third of the parse.
  jPath: false,
})

const PREDEFINED: Record<string, string> = {lt: '<', gt: '>', amp: '&', quot: '"', apos: "'"}

function decodeEntities(text: string, context: string | undefined): string {
  if (!text.includes('&')) return text
  return text.replace(/&([^;&\s]*);?/g, (match, name: string) => {
    if (match.endsWith(';')) {
      if (Object.hasOwn(PREDEFINED, name)) return PREDEFINED[name]
      const numeric = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(name)
      if (numeric) {
        const code = numeric[1] === undefined ? Number.parseInt(numeric[2], 10) : Number.parseInt(numeric[1], 16)
        if (code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) && code !== 0) return String.fromCodePoint(code)
      }
    }
    throw invalidResponse(`unknown or malformed entity "${match.slice(0, 20)}"`, context)
  })
}

function elementOf(node: XmlNode): Element | undefined {
  const name = Object.keys(node).find((key) => key !== ':@')
  if (name === undefined || name === '#text' || name === '#cdata') return undefined
  // Python's Unmarshaller also reads a tag by its local name (`ex:nil` is `nil`).
  const colon = name.lastIndexOf(':')
  return {name: colon === -1 ? name : name.slice(colon + 1), children: node[name] as XmlNode[]}
}

/** Character data of a node list: text (entity-decoded) and CDATA sections (verbatim), in order. */
function textOf(nodes: XmlNode[], context: string | undefined, verbatim = false): string {
  let text = ''
  for (const node of nodes) {
    if ('#text' in node) text += verbatim ? String(node['#text']) : decodeEntities(String(node['#text']), context)
    else if ('#cdata' in node) text += textOf(node['#cdata'] as XmlNode[], context, true)
  }
  return text
}

/** The element children of `element`; any non-blank text between them is an error. */
function childElements(element: Element, context: string | undefined): Element[] {
  const out: Element[] = []
  for (const node of element.children) {
    const child = elementOf(node)
    if (child) out.push(child)
    else if (textOf([node], context).trim() !== '') throw invalidResponse(`unexpected text inside <${element.name}>`, context)
  }
  return out
}

function only(element: Element, name: string, context: string | undefined): Element {
  const children = childElements(element, context)
  if (children.length !== 1 || children[0].name !== name) {
    throw invalidResponse(`<${element.name}> must hold exactly one <${name}>, found ${children.map((c) => `<${c.name}>`).join(', ') || 'nothing'}`, context)
  }
  return children[0]
}

const INTEGER = /^[+-]?\d+$/
const DOUBLE = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i
const DATE_TIME = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/

function parseInteger(text: string, context: string | undefined): number | bigint {
  const trimmed = text.trim()
  if (!INTEGER.test(trimmed)) throw invalidResponse(`"${trimmed.slice(0, 40)}" is not an integer`, context)
  const big = BigInt(trimmed)
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big
}

function parseDouble(text: string, context: string | undefined): number {
  const trimmed = text.trim()
  if (!DOUBLE.test(trimmed)) throw invalidResponse(`"${trimmed.slice(0, 40)}" is not a double`, context)
  const lower = trimmed.toLowerCase().replace(/^\+/, '')
  if (lower === 'nan' || lower === '-nan') return Number.NaN
  if (lower === 'inf' || lower === 'infinity') return Infinity
  if (lower === '-inf' || lower === '-infinity') return -Infinity
  return Number(trimmed)
}

function parseDateTime(text: string, context: string | undefined): Date {
  const match = DATE_TIME.exec(text.trim())
  if (!match) throw invalidResponse(`"${text.trim().slice(0, 40)}" is not a dateTime.iso8601`, context)
  const [, y, mo, d, h, mi, s, fraction, zone] = match
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction ?? ''}${zone ? zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') : 'Z'}`
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) throw invalidResponse(`"${text.trim()}" is not a valid date`, context)
  return date
}

function parseBase64(text: string, context: string | undefined): Buffer {
  const compact = text.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) throw invalidResponse('malformed base64', context)
  return Buffer.from(compact, 'base64')
}

function setMember(struct: XmlRpcStruct, name: string, value: XmlRpcValue): void {
  // A member named "__proto__" must become an own property, not the object's prototype.
  if (name === '__proto__') Object.defineProperty(struct, name, {value, enumerable: true, writable: true, configurable: true})
  else struct[name] = value
}

function parseValue(value: Element, context: string | undefined): XmlRpcValue {
  // Spec: "If no type is indicated, the type is string."
  if (!value.children.some((node) => elementOf(node) !== undefined)) return textOf(value.children, context)
  const typed = childElements(value, context)
  if (typed.length > 1) throw invalidResponse(`<value> holds ${typed.length} elements`, context)
  const [element] = typed
  switch (element.name) {
    case 'string':
      return textOf(element.children, context)
    case 'int':
    case 'i4':
    case 'i8':
    case 'i1':
    case 'i2':
    case 'biginteger':
      return parseInteger(textOf(element.children, context), context)
    case 'boolean': {
      const text = textOf(element.children, context).trim()
      if (text !== '0' && text !== '1') throw invalidResponse(`bad boolean value "${text.slice(0, 20)}"`, context)
      return text === '1'
    }
    case 'double':
      return parseDouble(textOf(element.children, context), context)
    case 'dateTime.iso8601':
      return parseDateTime(textOf(element.children, context), context)
    case 'base64':
      return parseBase64(textOf(element.children, context), context)
    case 'nil':
      return null
    case 'array': {
      const data = only(element, 'data', context)
      return childElements(data, context).map((item) => {
        if (item.name !== 'value') throw invalidResponse(`<data> holds <${item.name}>`, context)
        return parseValue(item, context)
      })
    }
    case 'struct': {
      const struct: XmlRpcStruct = {}
      for (const member of childElements(element, context)) {
        if (member.name !== 'member') throw invalidResponse(`<struct> holds <${member.name}>`, context)
        const parts = childElements(member, context)
        const name = parts.find((part) => part.name === 'name')
        const memberValue = parts.find((part) => part.name === 'value')
        if (!name || !memberValue || parts.length !== 2) throw invalidResponse('a <member> needs one <name> and one <value>', context)
        setMember(struct, textOf(name.children, context), parseValue(memberValue, context))
      }
      return struct
    }
    default:
      throw invalidResponse(`unknown type <${element.name}>`, context)
  }
}

/** Text of a response body, honouring the XML declaration's encoding (UTF-8 unless said otherwise). */
function decodeBody(body: string | Buffer, context: string | undefined): string {
  if (typeof body === 'string') return body
  const declared = /^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']/.exec(body.subarray(0, 200).toString('latin1'))?.[1]
  try {
    return new TextDecoder(declared ?? 'utf-8', {fatal: true}).decode(body)
  } catch (error) {
    throw invalidResponse(error instanceof RangeError ? `unsupported encoding "${declared}"` : `the body is not valid ${declared ?? 'UTF-8'}`, context)
  }
}

function rootElement(body: string | Buffer, context: string | undefined): Element {
  const xml = decodeBody(body, context)
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) throw invalidResponse('it declares a DOCTYPE, which XML-RPC never has (refused: no DTD is processed)', context)
  const check = XMLValidator.validate(xml)
  if (check !== true) throw invalidResponse(`${check.err.msg} (line ${check.err.line}, column ${check.err.col})`, context)
  let tree: XmlNode[]
  try {
    tree = parser.parse(xml) as XmlNode[]
  } catch (error) {
    throw invalidResponse(error instanceof Error ? error.message : String(error), context)
  }
  const roots = tree.map(elementOf).filter((element): element is Element => element !== undefined)
  if (roots.length !== 1) throw invalidResponse(roots.length === 0 ? 'no XML element in the body' : 'more than one root element', context)
  return roots[0]
}

function parseParams(params: Element, context: string | undefined): XmlRpcValue[] {
  return childElements(params, context).map((param) => {
    if (param.name !== 'param') throw invalidResponse(`<params> holds <${param.name}>`, context)
    return parseValue(only(param, 'value', context), context)
  })
}

/**
 * The value of a `<methodResponse>`; a fault is thrown as OdooRpcError. `context` names the
 * call in messages (`object.execute_kw res.users.search_read`).
 */
export function parseMethodResponse(body: string | Buffer, context?: string): XmlRpcValue {
  const root = rootElement(body, context)
  if (root.name !== 'methodResponse') throw invalidResponse(`the root element is <${root.name}>, not <methodResponse>`, context)
  const content = childElements(root, context)
  if (content.length !== 1) throw invalidResponse('<methodResponse> must hold one <params> or one <fault>', context)
  if (content[0].name === 'fault') {
    const fault = parseValue(only(content[0], 'value', context), context)
    if (!fault || typeof fault !== 'object' || Array.isArray(fault) || fault instanceof Date || Buffer.isBuffer(fault)) throw invalidResponse('the fault is not a struct', context)
    const code = fault.faultCode
    const text = fault.faultString
    if ((typeof code !== 'number' && typeof code !== 'string') || typeof text !== 'string') throw invalidResponse('the fault lacks faultCode or faultString', context)
    throw new OdooRpcError(code, text, context)
  }
  if (content[0].name !== 'params') throw invalidResponse(`<methodResponse> holds <${content[0].name}>`, context)
  const values = parseParams(content[0], context)
  if (values.length !== 1) throw invalidResponse(`a response carries exactly one value, found ${values.length}`, context)
  return values[0]
}

/** A `<methodCall>` (for test servers and fakes). */
export function parseMethodCall(body: string | Buffer): {methodName: string; params: XmlRpcValue[]} {
  const root = rootElement(body, undefined)
  if (root.name !== 'methodCall') throw invalidResponse(`the root element is <${root.name}>, not <methodCall>`)
  const parts = childElements(root, undefined)
  const name = parts.find((part) => part.name === 'methodName')
  if (!name) throw invalidResponse('no <methodName>')
  const params = parts.find((part) => part.name === 'params')
  return {methodName: textOf(name.children, undefined).trim(), params: params ? parseParams(params, undefined) : []}
}
