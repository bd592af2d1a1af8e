import {Args} from '@oclif/core'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {OdoopsCommand} from '../../cli/base-command.js'
import {listPlans} from '../../lib/billing/plans/store.js'
import {messageOf} from '../../lib/errors.js'
import {findTemplate, invalidTemplate, knownPlans, placedPlanIssues, type KnownPlans} from '../../lib/templates/index.js'

export interface TemplateValidateResult {
  name: string
  file: string
  valid: true
  /** The template's default plan, when it names one. */
  plan?: string
  /** What the plan was checked against: the state store's plans, or the shipped example plans. */
  plansFrom: 'store' | 'examples'
}

export default class TemplateValidate extends OdoopsCommand<TemplateValidateResult> {
  static override summary = 'check a template against the schema and the semantic rules'
  static override description = `Reports every error at once with its JSON path and line:column (exit 2 when there is any): the JSON Schema (templates/template.schema.json), then checks beyond it — answers referenced as {{ answers.x }} exist as questions, roles map to group XML ids (module.name), known Odoo series, unique question ids, select defaults among the choices — and that the template's plan exists: among the plans of the state store (--state, config state, or the default store when it exists), else among the example plans shipped in templates/plans/. A missing plan is named with the fix (odoops plan apply <file>). See docs/templates.md.`
  static override args = {
    template: Args.string({description: 'template name or path of a template file', required: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> ./templates/distribution.yaml', '<%= config.bin %> <%= command.id %> starter', '<%= config.bin %> <%= command.id %> ./my-template.yaml --state postgres://odoops@db/odoops']

  async run(): Promise<TemplateValidateResult> {
    const {args} = await this.parse(TemplateValidate)
    const entry = findTemplate(args.template)
    if (!entry.template) throw invalidTemplate(entry)
    const known = await this.plans()
    const planIssues = placedPlanIssues(entry.file, entry.template, known)
    if (planIssues.length > 0) throw invalidTemplate({...entry, template: undefined, issues: planIssues})
    const plan = entry.template.plan
    const where = known.source === 'store' ? 'stored in the state store' : 'a shipped example plan'
    this.ui.log(`${entry.file}: template ${entry.name} v${entry.template.version} is valid${plan ? ` (plan ${plan}: ${where})` : ''}.`)
    return {name: entry.name, file: entry.file, valid: true, ...(plan ? {plan} : {}), plansFrom: known.source}
  }

  /** The store's plans when a store is given or the default one exists and opens; else the shipped examples. */
  private async plans(): Promise<KnownPlans> {
    const given = this.globalFlags.state ?? this.settings.get<string>('state')
    if (given === undefined && !existsSync(join(this.dirs.dataDir, 'state'))) return knownPlans('examples')
    try {
      const store = await this.state()
      return knownPlans('store', (await listPlans(store)).map((p) => p.plan))
    } catch (error) {
      this.ui.warn(`The state store cannot be read (${messageOf(error)}): the plan is checked against the shipped example plans instead.`)
      return knownPlans('examples')
    }
  }
}
