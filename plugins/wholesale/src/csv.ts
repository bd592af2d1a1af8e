/**
 * RFC 4180 CSV: fields separated by commas, optionally double-quoted (a quote inside is
 * doubled), records separated by CRLF or LF; a UTF-8 byte order mark is ignored. Returns
 * the records with the line each starts on.
 */
export function parseCsv(text: string): {line: number; fields: string[]}[] {
  const input = text.replace(/^\uFEFF/, '')
  const records: {line: number; fields: string[]}[] = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let start = 1
  let touched = false
  for (let i = 0; i < input.length; i++) {
    const c = input[i]
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else {
        if (c === '\n') line++
        field += c
      }
      continue
    }
    if (c === '"' && field === '') {
      quoted = true
      touched = true
    } else if (c === ',') {
      fields.push(field)
      field = ''
      touched = true
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++
      fields.push(field)
      if (touched || fields.some((f) => f !== '')) records.push({line: start, fields})
      fields = []
      field = ''
      touched = false
      line++
      start = line
    } else {
      field += c
      touched = true
    }
  }
  if (quoted) throw new Error(`line ${start}: a quoted field is not closed`)
  fields.push(field)
  if (touched || fields.some((f) => f !== '')) records.push({line: start, fields})
  return records
}
