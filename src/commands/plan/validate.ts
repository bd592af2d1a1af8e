import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {invalidPlan, readPlanFile} from '../../lib/billing/plans/file.js'

export interface PlanValidateResult {
  file: string
  plan: string
  kind: string
  valid: true
}

export default class PlanValidate extends OdoopsCommand<PlanValidateResult> {
  static override summary = 'check a plan file against the schema and the pricing rules'
  static override description = `Reports every error at once with its JSON path and line:column (exit 2 when there is any): the JSON Schema first, then the rules across fields (components allowed by the kind, every metric used has an explicit aggregation, bands going up, tax rate matching its category, ISO 4217 currency). Nothing is stored. Format: docs/billing.md; examples ship with odoops in its templates/plans/ directory (odoops plan list prints where when no plan is stored).`
  static override args = {file: Args.string({description: 'plan YAML file', required: true})}
  static override examples = ['<%= config.bin %> <%= command.id %> templates/plans/unlimited.yaml']

  async run(): Promise<PlanValidateResult> {
    const {args} = await this.parse(PlanValidate)
    const parsed = readPlanFile(args.file)
    if (!parsed.plan) throw invalidPlan(args.file, parsed.issues)
    this.ui.log(`${args.file}: plan ${parsed.plan.id} (${parsed.plan.kind}, ${parsed.plan.currency}) is valid.`)
    return {file: parsed.file, plan: parsed.plan.id, kind: parsed.plan.kind, valid: true}
  }
}
