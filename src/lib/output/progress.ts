import type {ChalkInstance} from 'chalk'
import {redact} from '../secrets/redact.js'

/**
 * Progress for long work, on stderr. On a TTY: a bar when the total is known, a spinner
 * otherwise, redrawn in place. Without a TTY (or with CI set): plain timestamped lines,
 * at most one every few seconds. Under --json: nothing.
 */
export interface ProgressOptions {
  /** Total units (e.g. bytes) when the work is measurable. */
  total?: number
  /** Formats a count of units for display (e.g. bytes as MB). */
  format?: (units: number) => string
}

export interface Progress {
  update(done: number, detail?: string): void
  succeed(detail?: string): void
  fail(detail?: string): void
}

interface Sink {
  stream: NodeJS.WritableStream
  silent: boolean
  tty: boolean
  color: ChalkInstance
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const PLAIN_INTERVAL_MS = 5000

export function createProgress(label: string, options: ProgressOptions, sink: Sink): Progress {
  if (sink.silent) return {update() {}, succeed() {}, fail() {}}
  const started = Date.now()
  const format = options.format ?? ((n: number) => String(n))
  let done = 0
  let detail = ''
  let frame = 0
  let lastPlain = 0
  let finished = false
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`
  const describe = () => {
    if (options.total && options.total > 0) {
      const pct = Math.min(100, Math.floor((done / options.total) * 100))
      return `${pct}% ${format(done)}/${format(options.total)}`
    }
    return done > 0 ? format(done) : ''
  }
  const draw = () => {
    if (!sink.tty || finished) return
    let bar: string
    if (options.total && options.total > 0) {
      const width = 20
      const filled = Math.min(width, Math.round((done / options.total) * width))
      bar = '[' + '#'.repeat(filled) + '-'.repeat(width - filled) + '] '
    } else bar = FRAMES[frame++ % FRAMES.length] + ' '
    sink.stream.write('\r\u001B[2K' + redact(`${bar}${label} ${describe()} ${detail}`.trimEnd()))
  }
  const timer = sink.tty ? setInterval(draw, 100) : undefined
  timer?.unref()
  const plain = (text: string) => sink.stream.write(`${new Date().toISOString()} ${redact(text)}\n`)
  if (!sink.tty) plain(`${label}: started`)
  const finish = (ok: boolean, text?: string) => {
    if (finished) return
    finished = true
    if (timer) clearInterval(timer)
    const mark = ok ? sink.color.green('✔') : sink.color.red('✖')
    const line = `${label}${text ? ': ' + text : ''} (${elapsed()})`
    if (sink.tty) sink.stream.write('\r\u001B[2K' + mark + ' ' + redact(line) + '\n')
    else plain(`${ok ? 'done' : 'failed'}: ${line}`)
  }
  return {
    update(n, text) {
      done = n
      if (text !== undefined) detail = text
      if (!sink.tty && Date.now() - lastPlain >= PLAIN_INTERVAL_MS) {
        lastPlain = Date.now()
        plain(`${label}: ${describe()} ${detail}`.trimEnd())
      }
    },
    succeed: (text) => finish(true, text),
    fail: (text) => finish(false, text),
  }
}
