import type {Progress} from '../lib/output/progress.js'
import type {Ui} from '../lib/output/ui.js'
import type {StepObserver} from '../lib/steps/runner.js'

/**
 * Progress of a recorded plan on stderr: one spinner per step on a terminal, and without
 * one the lines `<time> [<step>] <title>: started` / `done: … changed (1.2s)` that logs
 * and scripts can follow. Silent under --json.
 */
export function stepProgress(ui: Ui): StepObserver {
  let current: Progress | undefined
  return {
    started(step) {
      current = ui.progress(`[${step.name}] ${step.title}`)
    },
    finished(_step, record) {
      const text = [record.change, record.detail].filter(Boolean).join(': ')
      if (record.state === 'done') current?.succeed(text)
      else current?.fail(record.error)
      current = undefined
    },
  }
}
