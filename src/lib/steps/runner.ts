import {messageOf} from '../errors.js'
import {redact} from '../secrets/redact.js'

/**
 * Recorded plans of steps: tenant creation and removal, onboarding and moves run as an
 * ordered list of named, idempotent steps whose state is saved (through `save`) before
 * and after each one. A run that fails or is killed stops with the step that failed in
 * the record; running the same plan again skips the steps already done and continues
 * from there. Steps must therefore be safe to run again after a crash in their middle.
 */
export type StepState = 'pending' | 'running' | 'done' | 'failed'
export type StepChange = 'changed' | 'unchanged'

export interface StepRecord {
  name: string
  state: StepState
  change?: StepChange
  startedAt?: string
  durationMs?: number
  error?: string
  detail?: string
}

export interface Step<C> {
  name: string
  title: string
  /**
   * The step only looks and records its finding in the plan's own record (the place step
   * choosing a host): when it fails, and no step before it changed anything, the run has
   * changed nothing (StepFailedError.nothingChanged).
   */
  changesNothing?: boolean
  /** Returns whether it changed anything (default `changed`) and an optional detail line. */
  run(context: C, signal: AbortSignal): Promise<void | StepChange | {change: StepChange; detail?: string}>
}

export interface StepObserver {
  started?(step: {name: string; title: string}): void
  finished?(step: {name: string; title: string}, record: StepRecord): void
}

export interface RunStepsOptions {
  /** The records saved by an earlier run (resume), or none. */
  previous?: StepRecord[]
  save(records: StepRecord[]): Promise<void>
  signal?: AbortSignal
  observer?: StepObserver
}

export class StepFailedError extends Error {
  constructor(
    readonly step: string,
    readonly records: StepRecord[],
    readonly failure: unknown,
    /** Nothing was changed: the failed step changes nothing and every step done before it changed nothing. */
    readonly nothingChanged = false,
  ) {
    super(`step "${step}" failed: ${redact(messageOf(failure))}`)
  }
}

export async function runSteps<C>(steps: Step<C>[], context: C, options: RunStepsOptions): Promise<StepRecord[]> {
  const previous = new Map((options.previous ?? []).map((r) => [r.name, r]))
  const records: StepRecord[] = steps.map((s) => {
    const old = previous.get(s.name)
    return old?.state === 'done' ? old : {name: s.name, state: 'pending'}
  })
  const signal = options.signal ?? new AbortController().signal
  for (const [index, step] of steps.entries()) {
    if (records[index].state === 'done') continue
    signal.throwIfAborted()
    const startedAt = Date.now()
    records[index] = {name: step.name, state: 'running', startedAt: new Date(startedAt).toISOString()}
    await options.save(records.map((r) => ({...r})))
    options.observer?.started?.(step)
    try {
      const outcome = await step.run(context, signal)
      const change = typeof outcome === 'string' ? outcome : (outcome?.change ?? 'changed')
      const detail = typeof outcome === 'object' && outcome ? outcome.detail : undefined
      records[index] = {...records[index], state: 'done', change, durationMs: Date.now() - startedAt, ...(detail ? {detail} : {})}
    } catch (error) {
      // Records are stored (and exported): a secret a server echoed in its error stays out.
      records[index] = {...records[index], state: 'failed', durationMs: Date.now() - startedAt, error: redact(messageOf(error))}
      await options.save(records.map((r) => ({...r})))
      options.observer?.finished?.(step, records[index])
      const nothingChanged = step.changesNothing === true && records.every((r) => r.state !== 'done' || r.change === 'unchanged')
      throw new StepFailedError(step.name, records, error, nothingChanged)
    }
    await options.save(records.map((r) => ({...r})))
    options.observer?.finished?.(step, records[index])
  }
  return records
}
