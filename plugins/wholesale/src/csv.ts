import {CsvError, parse} from 'csv-parse/sync'

/** Why csv-parse refused the file, in the pack's words; other codes keep csv-parse's message. */
const REASONS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text after the closing quote of a field (a quote inside a quoted field is doubled: "")',
}

/**
 * RFC 4180 CSV read with csv-parse: fields separated by commas, optionally double-quoted (a
 * quote inside is doubled), records separated by CRLF, LF or CR; a UTF-8 byte order mark is
 * ignored, empty lines are skipped, a quote inside an unquoted field is kept as it is, spaces
 * before a comma or the end of a line are dropped (`"Gold" ,` is Gold), and rows may have any
 * number of fields (the caller names the row whose count is off). Returns the records with
 * the line each starts on; a file that cannot be read throws an Error whose message starts
 * with "line N:", N the line where the record that could not be read starts.
 */
export function parseCsv(text: string): {line: number; fields: string[]}[] {
  const data = Buffer.from(text, 'utf8')
  const lines = new LineIndex(data)
  // Byte offsets where each record ends (csv-parse's `info.bytes`, the record delimiter included).
  let end = 0
  const starts: number[] = []
  try {
    const records: string[][] = parse(data, {
      bom: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      skip_empty_lines: true,
      relax_quotes: true,
      relax_column_count: true,
      rtrim: true,
      on_record: (record: string[], context) => {
        starts.push(lines.recordLine(end))
        end = context.bytes
        return record
      },
    })
    return records.map((fields, i) => ({line: starts[i], fields}))
  } catch (error) {
    if (!(error instanceof CsvError)) throw error
    const reason = REASONS[error.code] ?? error.message
    throw new Error(`line ${lines.recordLine(end)}: ${reason}`, {cause: error})
  }
}

/**
 * Line numbers from byte offsets, counted here: csv-parse's own `info.lines` is the line a
 * record ends on (and counts a CRLF inside a quoted field twice), not the one it starts on.
 */
class LineIndex {
  /** Offset of the first byte of each line after the first. */
  private readonly breaks: number[] = []

  constructor(private readonly data: Buffer) {
    for (let i = 0; i < data.length; i++) {
      if (data[i] === 0x0d && data[i + 1] === 0x0a) i++
      if (data[i] === 0x0a || data[i] === 0x0d) this.breaks.push(i + 1)
    }
  }

  /** The line of the record that begins at `offset`: skipped empty lines are passed over. */
  recordLine(offset: number): number {
    let at = offset
    while (at < this.data.length && (this.data[at] === 0x0a || this.data[at] === 0x0d)) at++
    // 1 + the number of lines that begin at or before `at` (binary search: files may be long).
    let low = 0
    let high = this.breaks.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (this.breaks[mid] <= at) low = mid + 1
      else high = mid
    }
    return low + 1
  }
}
