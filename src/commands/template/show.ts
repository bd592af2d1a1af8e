import {Args} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {loadTemplate, type Template} from '../../lib/templates/index.js'

export interface TemplateShowResult {
  file: string
  template: Template
}

export default class TemplateShow extends OdoopsCommand<TemplateShowResult> {
  static override summary = 'show a template: its questions, modules, roles, settings and post-steps'
  static override args = {
    name: Args.string({description: 'template name (odoops template list) or path of a template file', required: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> distribution', '<%= config.bin %> <%= command.id %> ./my-template.yaml --json']

  async run(): Promise<TemplateShowResult> {
    const {args} = await this.parse(TemplateShow)
    const {template, file} = loadTemplate(args.name)
    const ui = this.ui
    ui.log(`${ui.color.bold(template.title)} (${template.name} v${template.version}, Odoo ${template.series.join(', ')})`)
    if (template.description) ui.log(template.description)
    ui.log(`\nModules: ${template.modules.join(', ')}`)
    if (template.addons?.length) ui.log(`Addon repositories: ${template.addons.join(', ')}`)
    ui.log(`Hosting: ${template.hosting?.mode ?? 'shared'}${template.hosting?.size ? `, ${template.hosting.size}` : ''}${template.plan ? `; plan ${template.plan}` : ''}`)
    ui.log('\nQuestions:')
    ui.table(template.questions, [
      {header: 'Id', get: (q) => q.id},
      {header: 'Type', get: (q) => q.type + (q.format && q.format !== 'text' ? ` (${q.format})` : '')},
      {header: 'Required', get: (q) => ((q.required ?? q.type !== 'confirm') ? 'yes' : 'no')},
      {header: 'Default', get: (q) => (q.default === undefined ? '' : Array.isArray(q.default) ? `${q.default.length} items` : String(q.default))},
      {header: 'Choices', get: (q) => (q.choices ?? []).map((c) => (typeof c === 'string' ? c : c.value)).join(', ')},
      {header: 'Question', get: (q) => q.message},
    ])
    if (template.roles) {
      ui.log('\nRoles:')
      ui.table(Object.entries(template.roles), [
        {header: 'Role', get: ([name]) => name},
        {header: 'Title', get: ([, r]) => r.title},
        {header: 'Groups', get: ([, r]) => r.groups.join(', ')},
      ])
    }
    if (template.settings?.length) {
      ui.log('\nSettings (ir.config_parameter):')
      ui.table(template.settings, [
        {header: 'Key', get: (s) => s.key},
        {header: 'Value', get: (s) => String(s.value)},
      ])
    }
    if (template.post_steps?.length) {
      ui.log('\nPost-steps:')
      ui.table(template.post_steps, [
        {header: 'Name', get: (s) => s.name},
        {header: 'Call', get: (s) => `${s.model}.${s.method}`},
        {header: 'Title', get: (s) => s.title ?? ''},
      ])
    }
    ui.log(`\nFile: ${file}`)
    return {file, template}
  }
}
