import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {invalidPlan, readPlanFile} from '../../lib/billing/plans/file.js'
import {applyPlan, type ApplyPlanResult} from '../../lib/billing/plans/store.js'

export type PlanApplyResult = ApplyPlanResult

export default class PlanApply extends OdoopsCommand<PlanApplyResult> {
  static override summary = 'store a plan from its YAML file (a new version when it changed)'
  static override description = `Validates the file (as plan validate: exit 2 with every error) and stores it under its id. The content is compared with the latest stored version (key order and comments do not count): a change stores version N+1, no change stores nothing. Older versions stay: an invoice records the version it was rated with, and a period is rated with the latest version applied before its end (docs/billing.md).`
  static override audited = true
  static override args = {file: Args.string({description: 'plan YAML file', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> templates/plans/per-user.yaml']

  async run(): Promise<PlanApplyResult> {
    const {args} = await this.parse(PlanApply)
    const parsed = readPlanFile(args.file)
    if (!parsed.plan) throw invalidPlan(args.file, parsed.issues)
    const result = await applyPlan(await this.state(), parsed.plan, {source: parsed.file})
    this.auditContext = {details: {plan: result.plan, version: result.version, changed: result.changed}}
    this.ui.log(result.changed ? `Plan ${result.plan} stored as version ${result.version}${result.previousVersion ? ` (was ${result.previousVersion})` : ''}.` : `Plan ${result.plan} unchanged (version ${result.version}).`)
    return result
  }
}
