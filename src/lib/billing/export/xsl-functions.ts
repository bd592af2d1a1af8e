/**
 * OpenPEPPOL's `PEPPOL-EN16931-UBL.sch` defines helper functions (`u:gln`, `u:mod11`,
 * `u:mod97-0208`, `u:checkCF`, …) as XSLT 2.0 `xsl:function` elements, which a Schematron
 * engine compiled to XSLT would simply copy into its stylesheet. node-schematron evaluates the
 * rules with fontoxpath (XPath 3.1) and ignores `xsl:function` (its README, "Custom functions"),
 * so every rule calling `u:…` would fail with "function not found".
 *
 * This module reads those functions from the .sch itself and registers each with fontoxpath as
 * a custom XPath function whose body is the XSLT body rewritten as one XPath 3.1 expression:
 * `xsl:variable` → `let $v := … return`, `xsl:choose/when/otherwise` → `if … then … else`,
 * `xsl:sequence select` → the expression, `xsl:value-of select` → its string value (XSLT builds a
 * text node), cast to the function's declared type (`as="xs:boolean"` turns "true" into true).
 * Reading them from the file, rather than re-implementing them in JavaScript, keeps them exactly
 * as OpenPEPPOL wrote them when the rules are updated.
 */
// fontoxpath is CommonJS without detectable named exports: import its module object. It is the
// same instance node-schematron evaluates with (one copy in node_modules).
import fontoxpath from 'fontoxpath'
import {XMLParser} from 'fast-xml-parser'

const XS = 'http://www.w3.org/2001/XMLSchema'

/** A preserveOrder node of fast-xml-parser: `{tag: children, ':@': {'@_attr': value}}` or `{'#text': …}`. */
type OrderedNode = Record<string, unknown>

export interface XslFunction {
  /** `u:gln`. */
  name: string
  prefix: string
  localName: string
  namespaceURI: string
  params: {name: string; as?: string}[]
  /** The declared return type (`xs:boolean`), when any. */
  as?: string
  /** The body as one XPath 3.1 expression over the parameters. */
  xpath: string
}

function tagOf(node: OrderedNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@')
}

function localOf(tag: string): string {
  return tag.includes(':') ? tag.slice(tag.indexOf(':') + 1) : tag
}

function attr(node: OrderedNode, name: string): string | undefined {
  const attrs = node[':@'] as Record<string, string> | undefined
  return attrs?.[`@_${name}`]
}

function children(node: OrderedNode): OrderedNode[] {
  const tag = tagOf(node)
  const value = tag ? node[tag] : undefined
  return Array.isArray(value) ? (value as OrderedNode[]) : []
}

function textOf(node: OrderedNode): string {
  return children(node)
    .map((child) => (typeof child['#text'] === 'string' || typeof child['#text'] === 'number' ? String(child['#text']) : ''))
    .join('')
}

function stringLiteral(text: string): string {
  return `"${text.replaceAll('"', '""')}"`
}

/** `xsl:value-of select="X"` builds a text node: its string value, items joined by spaces. */
function valueOf(select: string): string {
  return `string-join(for $odoops-item in (${select}) return string($odoops-item), " ")`
}

/** An atomic `as` type casts the value (XSLT's function conversion rules for a text node). */
function castTo(as: string | undefined, expression: string): string {
  if (!as || !/^xs:[A-Za-z]+$/.test(as)) return expression
  return `${as}(${expression})`
}

/** The expression of a list of XSLT instructions (variables first, then one result-producing instruction). */
function translateBody(nodes: OrderedNode[], as: string | undefined, where: string): string {
  const lets: string[] = []
  let result: string | undefined
  for (const node of nodes) {
    const tag = tagOf(node)
    if (!tag || tag === '#text' || tag === '#comment') continue
    const local = localOf(tag)
    if (local === 'param') continue
    if (result !== undefined) throw new Error(`${where}: an instruction (${local}) after the result is not supported`)
    if (local === 'variable') {
      const name = attr(node, 'name')
      if (!name) throw new Error(`${where}: xsl:variable without a name`)
      const select = attr(node, 'select')
      const vas = attr(node, 'as')
      let value: string
      if (select !== undefined) value = castTo(vas, `(${select})`)
      else if (children(node).some((child) => tagOf(child) !== '#text' && tagOf(child) !== '#comment')) value = castTo(vas, translateBody(children(node), undefined, `${where} $${name}`))
      else value = castTo(vas, stringLiteral(textOf(node)))
      lets.push(`$${name} := ${value}`)
    } else if (local === 'value-of') {
      const select = attr(node, 'select')
      if (select === undefined) throw new Error(`${where}: xsl:value-of without select`)
      result = castTo(as, valueOf(select))
    } else if (local === 'sequence') {
      const select = attr(node, 'select')
      if (select === undefined) throw new Error(`${where}: xsl:sequence without select`)
      result = `(${select})`
    } else if (local === 'choose') {
      const branches = children(node).filter((child) => tagOf(child) && !tagOf(child)!.startsWith('#'))
      let expression: string | undefined
      for (const branch of branches.reverse()) {
        const kind = localOf(tagOf(branch)!)
        const body = translateBody(children(branch), as, `${where} ${kind}`)
        if (kind === 'otherwise') expression = body
        else if (kind === 'when') expression = `if (${attr(branch, 'test')}) then ${body} else ${expression ?? '()'}`
        else throw new Error(`${where}: xsl:${kind} inside xsl:choose`)
      }
      result = `(${expression ?? '()'})`
    } else {
      throw new Error(`${where}: xsl:${local} is not supported`)
    }
  }
  if (result === undefined) throw new Error(`${where}: no result instruction`)
  return lets.length > 0 ? `(let ${lets.join(', ')} return ${result})` : result
}

/** The `xsl:function`s of a Schematron file, translated, and the prefixes its `sch:ns` declare. */
export function readXslFunctions(schematron: string): {functions: XslFunction[]; namespaces: Record<string, string>} {
  const parser = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '@_', preserveOrder: true, commentPropName: '#comment', trimValues: false})
  const document = parser.parse(schematron) as OrderedNode[]
  const root = document.find((node) => tagOf(node) && localOf(tagOf(node)!) === 'schema')
  if (!root) throw new Error('not a Schematron schema')
  const namespaces = new Map<string, string>()
  for (const node of children(root)) {
    if (tagOf(node) && localOf(tagOf(node)!) === 'ns') namespaces.set(attr(node, 'prefix') ?? '', attr(node, 'uri') ?? '')
  }
  const out: XslFunction[] = []
  for (const node of children(root)) {
    const tag = tagOf(node)
    if (!tag || localOf(tag) !== 'function') continue
    const name = attr(node, 'name')
    if (!name || !name.includes(':')) throw new Error(`xsl:function without a prefixed name: ${name}`)
    const [prefix, localName] = name.split(':')
    const namespaceURI = namespaces.get(prefix)
    if (!namespaceURI) throw new Error(`xsl:function ${name}: prefix "${prefix}" is not declared by an sch:ns`)
    const params = children(node)
      .filter((child) => tagOf(child) && localOf(tagOf(child)!) === 'param')
      .map((child) => ({name: attr(child, 'name') ?? '', as: attr(child, 'as')}))
    const as = attr(node, 'as')
    out.push({name, prefix, localName, namespaceURI, params, as, xpath: translateBody(children(node), as, `xsl:function ${name}`)})
  }
  return {functions: out, namespaces: Object.fromEntries(namespaces)}
}

const registered = new Set<string>()

/**
 * Register the functions with fontoxpath (process-wide, once per name). An untyped parameter is
 * taken as `xs:string?`: every one of OpenPEPPOL's untyped helpers works on an identifier's text.
 */
export function registerXslFunctions(functions: XslFunction[], namespaces: Record<string, string>): void {
  const resolver = (prefix: string | null): string | null => (prefix === 'xs' ? XS : prefix ? (namespaces[prefix] ?? null) : null)
  for (const fn of functions) {
    const key = `{${fn.namespaceURI}}${fn.localName}/${fn.params.length}`
    if (registered.has(key)) continue
    // node-schematron evaluates each sch:let to a JavaScript value and passes it back as a
    // variable, so an xs:decimal computed in a let arrives as xs:double: accept any number there.
    const signature = fn.params.map((p) => (p.as === 'xs:decimal' ? 'xs:numeric' : (p.as ?? 'xs:string?')))
    fontoxpath.registerCustomXPathFunction({namespaceURI: fn.namespaceURI, localName: fn.localName}, signature, fn.as ?? 'item()*', (_context, ...args: unknown[]) => {
      const variables: Record<string, unknown> = {}
      fn.params.forEach((param, index) => {
        variables[param.name] = args[index] ?? null
      })
      return fontoxpath.evaluateXPath(fn.xpath, null, null, variables, fontoxpath.evaluateXPath.ANY_TYPE, {namespaceResolver: resolver}) as unknown
    })
    registered.add(key)
  }
}
