import {OdoopsCommand} from '../../cli/base-command.js'
import {listPlans, type PlanSummary} from '../../lib/billing/plans/store.js'
import {EXAMPLE_PLAN_DIR} from '../../lib/billing/plans/examples.js'

export interface PlanListResult {
  plans: PlanSummary[]
}

export default class PlanList extends OdoopsCommand<PlanListResult> {
  static override summary = 'list the stored plans with their latest version'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<PlanListResult> {
    await this.parse(PlanList)
    const plans = await listPlans(await this.state())
    if (plans.length === 0) this.ui.log(`No plans yet: odoops plan apply <file> (examples shipped with odoops: ${EXAMPLE_PLAN_DIR}).`)
    else
      this.ui.table(plans, [
        {header: 'Plan', get: (p) => p.plan},
        {header: 'Name', get: (p) => p.name},
        {header: 'Kind', get: (p) => p.kind},
        {header: 'Currency', get: (p) => p.currency},
        {header: 'Version', get: (p) => String(p.latestVersion), align: 'right'},
        {header: 'Applied', get: (p) => p.appliedAt},
      ])
    return {plans}
  }
}
