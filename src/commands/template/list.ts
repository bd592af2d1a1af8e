import {OdoopsCommand} from '../../cli/base-command.js'
import {listTemplates} from '../../lib/templates/index.js'

export interface TemplateSummary {
  name: string
  title: string
  version?: number
  series: string[]
  modules: string[]
  source: string
  file: string
  valid: boolean
  /** Number of problems when not valid (odoops template validate <name> lists them). */
  issues: number
}

export interface TemplateListResult {
  templates: TemplateSummary[]
}

export default class TemplateList extends OdoopsCommand<TemplateListResult> {
  static override summary = 'list the onboarding templates'
  static override description = 'Core templates ship in the package\'s templates/ directory; plugin packs add theirs. See docs/templates.md.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<TemplateListResult> {
    await this.parse(TemplateList)
    const templates = listTemplates().map((t) => ({
      name: t.name,
      title: t.template?.title ?? '',
      ...(t.template ? {version: t.template.version} : {}),
      series: t.template?.series ?? [],
      modules: t.template?.modules ?? [],
      source: t.source,
      file: t.file,
      valid: Boolean(t.template),
      issues: t.issues.length,
    }))
    this.ui.table(templates, [
      {header: 'Name', get: (t) => t.name},
      {header: 'Title', get: (t) => (t.valid ? t.title : `INVALID (${t.issues} errors)`)},
      {header: 'Modules', get: (t) => t.modules.join(', ')},
      {header: 'Odoo', get: (t) => t.series.join(', ')},
      {header: 'Version', get: (t) => t.version ?? ''},
    ])
    return {templates}
  }
}
