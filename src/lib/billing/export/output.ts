/**
 * Where `invoice export --output <path>` writes: a file or a directory, decided before any
 * document is built (UBL validation takes seconds per document) and before anything is written.
 * Every refusal is OUTPUT_PATH_INVALID (src/lib/fs/output-path.ts, exit 2), like every --output.
 *
 * - `''` is refused (it would mean the current directory by accident), and so is a path that
 *   cannot be created (under /proc, below a file, in a read-only directory: src/lib/fs/ensure-dir.ts);
 * - an existing directory (or a path ending in `/`) is a directory: each document under its name;
 * - an existing file is never replaced (there is no --force), whatever the document count;
 * - a new path is a file when the export has one document (`-o march.csv`, `-o inv.xml`), and a
 *   directory when it has several, unless it ends in a file extension (`-o inv.xml` for a
 *   period of ten UBL documents is a mistake, not a directory named inv.xml).
 */
import {statSync, type Stats} from 'node:fs'
import {dirname, extname, resolve, sep} from 'node:path'
import {directoryProblem, ensureDir} from '../../fs/ensure-dir.js'
import {outputPathInvalid} from '../../fs/output-path.js'

export type OutputTarget = {kind: 'directory'; dir: string} | {kind: 'file'; file: string; dir: string}

const OUTPUT_SUGGESTIONS = [
  'Give a directory (created when missing; end it with / to make sure): odoops invoice export --period 2026-03 --format csv --output exports/',
  'Or, for a single document, a new file name: odoops invoice export INV-2026-00042 --format ubl --output INV-2026-00042.xml',
]

/** A name ending in an extension of letters and digits with at least one letter (`.xml`, `.csv`; not `2026.03`). */
export function hasFileExtension(path: string): boolean {
  const ext = extname(path)
  return /^\.[A-Za-z0-9]{1,10}$/.test(ext) && /[A-Za-z]/.test(ext)
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}

/**
 * What can be said of the path before the invoices are read (`documents` undefined when the
 * count is not known yet): an empty path, an existing file, a path that cannot be created or
 * written into. Writes nothing.
 */
export function checkOutputPath(output: string, documents?: number): void {
  if (output.trim() === '') throw outputPathInvalid(output, '--output is empty: say where to write (a directory, or a new file for a single document)', OUTPUT_SUGGESTIONS)
  const path = resolve(output)
  const existing = statOf(path)
  if (existing && !existing.isDirectory()) {
    const why =
      documents === undefined
        ? `${path} is an existing file: an export never replaces a file (remove it or choose a new name), and several documents need a directory`
        : documents > 1
          ? `${path} is a file, but this export writes ${documents} documents, which need a directory (and an export never replaces a file)`
          : `${path} is an existing file: an export never replaces a file (remove it or choose a new name)`
    throw outputPathInvalid(output, why, OUTPUT_SUGGESTIONS)
  }
  // A new file and a new directory need the same thing: the nearest existing ancestor a writable directory on a real file system.
  const problem = directoryProblem(path, {writable: true})
  if (problem) throw outputPathInvalid(output, problem, OUTPUT_SUGGESTIONS)
}

/** What the output path names, for `documents` documents (see the module comment). Writes nothing. */
export function resolveOutput(output: string, documents: number): OutputTarget {
  checkOutputPath(output, documents)
  const path = resolve(output)
  if (statOf(path)?.isDirectory() || output.endsWith('/') || output.endsWith(sep)) return {kind: 'directory', dir: path}
  // Nothing to write (a period of drafts only, as UBL): nothing is created.
  if (documents === 0) return {kind: 'directory', dir: path}
  if (documents === 1) return {kind: 'file', file: path, dir: dirname(path)}
  if (hasFileExtension(path)) {
    throw outputPathInvalid(output, `it looks like a file name (${extname(path)}), but this export writes ${documents} documents, which need a directory`, ['Give a directory, e.g. --output exports/ (created when missing).', 'Or export one invoice by its number to write a single file.'])
  }
  return {kind: 'directory', dir: path}
}

/** Create the directory the target writes into (checked again: nothing half-made under /proc or below a file). */
export async function prepareOutput(target: OutputTarget): Promise<void> {
  await ensureDir(target.dir, {writable: true, invalid: (problem) => outputPathInvalid(target.kind === 'file' ? target.file : target.dir, problem, OUTPUT_SUGGESTIONS)})
}
