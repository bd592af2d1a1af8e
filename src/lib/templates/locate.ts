import {isMap, isScalar, isSeq, type Document, type LineCounter, type Node} from 'yaml'

/**
 * Line and column (1-based) of a JSON path in a parsed YAML document. A path to a key
 * that is not allowed points at the key itself; a path that does not exist (a missing
 * property) points at its nearest existing parent.
 */
export function locate(doc: Document, counter: LineCounter, path: string, options: {key?: boolean} = {}): {line: number; column: number} | undefined {
  const segments = path === '' ? [] : path.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
  let node: unknown = doc.contents
  let offset = doc.contents?.range?.[0]
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === segment)
      if (!pair) break
      const keyNode = pair.key as Node | null
      const valueNode = pair.value as Node | null
      offset = last && options.key ? keyNode?.range?.[0] : (valueNode?.range?.[0] ?? keyNode?.range?.[0])
      node = pair.value
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as Node | undefined
      if (!item) break
      offset = item.range?.[0]
      node = item
    } else break
  }
  if (offset === undefined) return undefined
  const pos = counter.linePos(offset)
  return {line: pos.line, column: pos.col}
}
