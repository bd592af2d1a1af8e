/** Helpers shared by the benches that drive the built CLI against a sandbox. */
import {execa} from 'execa'
import {BIN} from '../test/helpers/cli.js'

export interface StepTiming {
  name: string
  durationMs: number
}

/** Run `odoops <args> --json`, timed from spawn to exit; throws with its output when it fails. */
export async function timedCli(env: Record<string, string>, args: string[]) {
  const started = performance.now()
  const result = await execa('node', [BIN, ...args, '--json'], {env: {...env, NO_COLOR: '1'}, reject: false, stdin: 'ignore'})
  const ms = performance.now() - started
  if (result.exitCode !== 0) throw new Error(`odoops ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`)
  return {ms, json: JSON.parse(result.stdout), stderr: result.stderr}
}

export const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]
/** Milliseconds as seconds with two decimals. */
export const s = (ms: number) => (ms / 1000).toFixed(2)
