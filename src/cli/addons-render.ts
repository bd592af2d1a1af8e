import type {AddonProblem} from '../lib/addons/checks.js'
import type {Ui} from '../lib/output/ui.js'

/** The addon check report, errors first, one line each with its fix; warnings also reach `--json` warnings. */
export function renderProblems(ui: Ui, problems: AddonProblem[]): void {
  const line = (problem: AddonProblem) => `[${problem.check}] ${problem.repo}${problem.module ? `/${problem.module}` : ''}: ${problem.message}${problem.fix ? `\n  Fix: ${problem.fix}` : ''}`
  for (const problem of problems.filter((p) => p.severity === 'error')) ui.log(`Error ${line(problem)}`)
  for (const problem of problems.filter((p) => p.severity === 'warning')) ui.warn(line(problem))
}
