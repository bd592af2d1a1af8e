import {toConfiguredId, type Config, type Hook} from '@oclif/core'
import type {JsonError} from '../cli/base-command.js'
import {ExitCode} from '../lib/errors.js'

/**
 * An unknown command (`odoops tennant list`): bad input, nothing was done, so exit 2 with
 * `COMMAND_NOT_FOUND` and the closest command as the suggestion, or the error document
 * under --json (docs/exit-codes.md). Only a person at a terminal (stdin a TTY, no CI, no
 * --json, no --yes) is asked "Did you mean …?" (10 s, then the error), as @oclif/plugin-not-found
 * did; answering yes runs the suggested command with the rest of the arguments.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const {config, id} = options
  const argv = options.argv ?? []
  const {redact, registerArgvSecrets} = await import('../lib/secrets/redact.js')
  registerArgvSecrets(argv) // a mistyped command may still carry --password x: never echoed
  const typed = toConfiguredId(id, config)
  const match = closestCommand(config, id, argv)
  const suggestion = match ? `${config.bin} ${toConfiguredId(match.id, config)}` : undefined
  const json = wantsJson(argv)
  const interactive = Boolean(process.stdin.isTTY) && !process.env.CI && !json && !argv.includes('--yes') && !argv.includes('-y')
  if (match && suggestion && interactive && (await confirmSuggestion(suggestion))) {
    return config.runCommand(match.id, match.rest)
  }
  const topic = config.findTopic(id.split(':')[0])
  const help = topic ? `${config.bin} ${toConfiguredId(topic.name, config)} --help lists its commands.` : `${config.bin} --help lists every command.`
  const error: JsonError['error'] = {
    code: 'COMMAND_NOT_FOUND',
    message: `"${typed}" is not an ${config.bin} command.`,
    exitCode: ExitCode.USAGE,
    suggestions: [...(suggestion ? [suggestion] : []), help],
    ...(match ? {data: {suggestion: toConfiguredId(match.id, config)}} : {}),
  }
  if (json) process.stdout.write(redact(JSON.stringify({error}, null, 2)) + '\n')
  else process.stderr.write(redact([`Error (${error.code}): ${error.message}`, '', 'Try this:', ...error.suggestions.map((s) => `  ${s}`)].join('\n')) + '\n')
  this.exit(ExitCode.USAGE)
}

export default hook

/** --json on the command line (before `--`), or ODOOPS_CONTENT_TYPE=json as for every command. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json') || process.env.ODOOPS_CONTENT_TYPE?.toLowerCase() === 'json'
}

/**
 * The command closest to what was typed: each command id is compared with as many of the
 * typed words (the unknown id, then the arguments up to the first flag) as it has parts,
 * by edit distance. None when even the best is too far off to be a typo. `rest` is what the
 * command would get as its arguments: the typed words it does not use, then the rest of argv.
 */
export function closestCommand(config: Pick<Config, 'commands'>, id: string, argv: readonly string[]): {id: string; rest: string[]} | undefined {
  const idWords = id.split(':')
  const extra: string[] = []
  for (const arg of argv) {
    if (arg.startsWith('-')) break
    extra.push(arg)
  }
  const words = [...idWords, ...extra]
  let best: {id: string; used: number; distance: number} | undefined
  for (const command of config.commands.filter((c) => !c.hidden)) {
    for (const candidate of [command.id, ...(command.aliases ?? [])]) {
      const used = Math.min(candidate.split(':').length, words.length)
      const distance = editDistance(words.slice(0, used).join(':'), candidate)
      // Ties go to the command that explains more of what was typed.
      if (!best || distance < best.distance || (distance === best.distance && used > best.used)) best = {id: candidate, used, distance}
    }
  }
  if (!best) return undefined
  const typedLength = words.slice(0, best.used).join(':').length
  if (best.distance > Math.max(2, Math.floor(typedLength / 3))) return undefined
  return {id: best.id, rest: [...words.slice(best.used), ...argv.slice(extra.length)]}
}

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]
}

/** "Did you mean …?" on stderr, default yes; no answer in 10 s counts as no. */
async function confirmSuggestion(suggestion: string): Promise<boolean> {
  const {confirm} = await import('@inquirer/prompts')
  return confirm({message: `Did you mean ${suggestion}?`, default: true}, {output: process.stderr, signal: AbortSignal.timeout(10_000)}).catch(() => false)
}
