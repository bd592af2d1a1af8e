import Table from 'cli-table3'
import type {ChalkInstance} from 'chalk'
import {redact} from '../secrets/redact.js'

export interface Column<T> {
  header: string
  get: (row: T) => unknown
  align?: 'left' | 'right'
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object') return JSON.stringify(value)
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- objects were handled above: a primitive is left
  return String(value)
}

/** A borderless table (cli-table3): readable at the terminal and stable to grep. */
export function renderTable<T>(rows: T[], columns: Column<T>[], options: {color: ChalkInstance; width?: number}): string {
  if (rows.length === 0) return options.color.dim('(none)')
  const table = new Table({
    head: columns.map((c) => options.color.bold(c.header)),
    colAligns: columns.map((c) => c.align ?? 'left'),
    style: {head: [], border: [], 'padding-left': 0, 'padding-right': 2},
    chars: {top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ''},
  })
  for (const row of rows) table.push(columns.map((c) => redact(cell(c.get(row)))))
  return table.toString().split('\n').map((l) => l.trimEnd()).join('\n')
}
