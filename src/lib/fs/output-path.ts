import {usageError, type OdoopsError} from '../errors.js'
import {directoryProblem, outputFileProblem} from './ensure-dir.js'

/**
 * OUTPUT_PATH_INVALID, the one error of every `--output` odoops writes to (`state export -o`,
 * `invoice export -o`): exit 2, said before anything is read or written, so a bad path leaves
 * nothing behind. `suggestions` are the command's own ("Try this").
 */
export function outputPathInvalid(path: string, problem: string, suggestions: string[]): OdoopsError {
  const shown = path.length > 200 ? path.slice(0, 200) + '…' : path
  return usageError('OUTPUT_PATH_INVALID', `Cannot write to ${JSON.stringify(shown)}: ${problem}.`, suggestions, {output: shown})
}

/** --output names a file: a new or regular file in an existing, writable directory. */
export function checkOutputFile(path: string, suggestions: string[]): string {
  const problem = outputFileProblem(path)
  if (problem) throw outputPathInvalid(path, problem, suggestions)
  return path
}

/** --output names a directory to write into: one that exists and is writable, or can be created. */
export function checkOutputDir(path: string, suggestions: string[]): string {
  const problem = directoryProblem(path, {writable: true})
  if (problem) throw outputPathInvalid(path, problem, suggestions)
  return path
}
