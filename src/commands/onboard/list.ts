import {OdoopsCommand} from '../../cli/base-command.js'
import {listOnboardingRuns, type OnboardingRunView} from '../../lib/onboard/index.js'

export interface OnboardListResult {
  runs: OnboardingRunView[]
}

const seconds = (ms: number | undefined) => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)}s`)

export default class OnboardList extends OdoopsCommand<OnboardListResult> {
  static override summary = 'list onboarding runs and their state (interrupted ones can be resumed)'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<OnboardListResult> {
    await this.parse(OnboardList)
    const runs = await listOnboardingRuns(await this.state())
    if (runs.length === 0) this.ui.log('No onboarding runs yet: odoops onboard --template <name>')
    else
      this.ui.table(runs, [
        {header: 'Run', get: (r) => r.id},
        {header: 'Customer', get: (r) => r.customer},
        {header: 'Template', get: (r) => `${r.template} v${r.templateVersion}`},
        {header: 'Domain', get: (r) => r.domain},
        {header: 'Host', get: (r) => r.host ?? ''},
        {header: 'State', get: (r) => (r.failedStep ? `${r.state} at ${r.failedStep}` : r.state)},
        {header: 'Started', get: (r) => r.startedAt},
        {header: 'Took', get: (r) => seconds(r.durationMs), align: 'right'},
      ])
    return {runs}
  }
}
