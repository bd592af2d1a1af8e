import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {findTemplate, invalidTemplate} from '../../lib/templates/index.js'

export interface TemplateValidateResult {
  name: string
  file: string
  valid: true
}

export default class TemplateValidate extends OdoopsCommand<TemplateValidateResult> {
  static override summary = 'check a template against the schema and the semantic rules'
  static override description = `Reports every error at once with its JSON path and line:column (exit 2 when there is any): the JSON Schema (templates/template.schema.json), then checks beyond it — answers referenced as {{ answers.x }} exist as questions, roles map to group XML ids (module.name), known Odoo series, unique question ids, select defaults among the choices. See docs/templates.md.`
  static override args = {
    template: Args.string({description: 'template name or path of a template file', required: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> ./templates/distribution.yaml', '<%= config.bin %> <%= command.id %> starter']

  async run(): Promise<TemplateValidateResult> {
    const {args} = await this.parse(TemplateValidate)
    const entry = findTemplate(args.template)
    if (!entry.template) throw invalidTemplate(entry)
    this.ui.log(`${entry.file}: template ${entry.name} v${entry.template.version} is valid.`)
    return {name: entry.name, file: entry.file, valid: true}
  }
}
