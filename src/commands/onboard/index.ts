import {Flags} from '@oclif/core'
import {BUILTIN_ADDONS_REPO} from '../../lib/addons/builtin.js'
import {brandFromSettings} from '../../lib/branding/brand.js'
import type {OnboardEnv} from '../../lib/onboard/context.js'
import {OdoopsCommand} from '../../cli/base-command.js'
import {stepProgress} from '../../cli/step-progress.js'
import {deliverLogins, type LoginDelivery} from '../../cli/login-delivery.js'
import {usageError} from '../../lib/errors.js'
import type {StepRecord} from '../../lib/steps/runner.js'
import {answerArgs, answersSummary, givenAnswers, passwordQuestionIds, planOnboarding, redactAnswerArgs, resumeOnboarding, startOnboarding, uiPrompter, type OnboardResult} from '../../lib/onboard/index.js'
import {isSecretName, registerSecret} from '../../lib/secrets/redact.js'
import {listTemplates, loadTemplate, type Template} from '../../lib/templates/index.js'
import {mergeAddonRepos, parseAddonRepos} from '../../lib/tenants/addons.js'
import {tenantView, type TenantView} from '../../lib/tenants/view.js'
import {acmeResolverOf, acmeWarning} from '../../lib/tenants/acme.js'

export interface OnboardOutput {
  run: string
  state: string
  /** The customer was onboarded before: its tenant is reported, nothing was created. */
  existing: boolean
  resumed: boolean
  template: {name: string; version: number}
  customer: {slug: string; name: string}
  tenant: TenantView
  url: string
  users: {login: string; name: string; role: string; created: boolean}[]
  steps: StepRecord[]
  backupId: string | null
  /** Where the initial logins went: a 0600 file, or shown once on the terminal. Never in JSON. */
  initialLogins: LoginDelivery & {logins: string[]}
}

export default class Onboard extends OdoopsCommand<OnboardOutput> {
  static override usesSsh = true
  static override summary = 'onboard a customer from a template: tenant, modules, company, users, settings, backup'
  static override description = `On a terminal without --answers it asks the template's questions (defaults, validation, a summary and a final confirmation). With --answers/--answer and --yes, or without a terminal, it never prompts: every missing or invalid answer is listed at once, exit 2, nothing created.

Runs a recorded plan: place (the given host, or the prepared host with the most free capacity), create the tenant (itself resumable), company/currency/languages, system parameters, users with their roles' groups, the plan, the template's post-steps, an initial backup when a target is configured, and a health check. A run killed or failed at any step continues with --resume <run-id> without creating anything twice. Onboarding the same customer again reports the existing tenant. See docs/onboarding.md.`
  static override audited = true
  static override flags = {
    template: Flags.string({char: 't', description: 'template name (odoops template list) or template file'}),
    answers: Flags.string({description: 'answers file (YAML or JSON): question id → answer'}),
    answer: Flags.string({description: 'one answer, question=value (repeatable; wins over --answers)', multiple: true}),
    host: Flags.string({description: 'prepared host to place the tenant on', exclusive: ['auto-place']}),
    'auto-place': Flags.boolean({description: 'place on the prepared host with the most free memory and disk (the default without --host)'}),
    customer: Flags.string({description: 'the customer\'s tenant slug (default: from the company name)'}),
    domain: Flags.string({description: 'the tenant\'s domain (overrides the template\'s domain answer)'}),
    plan: Flags.string({description: 'billing plan id (default: the template\'s)'}),
    addons: Flags.string({description: 'addon repositories to run besides the template\'s, comma separated (odoops addons repo list)'}),
    'backup-target': Flags.string({description: 'backup target for the initial backup (default: backup.defaultTarget, or the only target)'}),
    'credentials-file': Flags.string({description: 'write the initial logins (admin and created users) to this file, mode 0600, instead of showing them once'}),
    resume: Flags.string({description: 'continue the onboarding run <run-id> from its failed or interrupted step'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --template distribution --answers acme.yaml --yes --credentials-file acme-logins.yaml',
    '<%= config.bin %> <%= command.id %> --template starter --answer company_name="Acme" --domain erp.acme.example --host web1 --yes',
    '<%= config.bin %> <%= command.id %> --resume ob-3f9a1c2e',
  ]

  /** The template named on the command line, once loaded (undefined: none, unknown or invalid). */
  private argvTemplate?: Template

  /**
   * `--answer` values of password questions are secrets: registered before anything can
   * print them (a parse error quoting an argument), and hidden in the audit event. Without a
   * loadable template every `--answer` value is treated so (`question=` is kept).
   */
  override async init(): Promise<void> {
    const name = templateFlag(this.argv)
    if (name) {
      try {
        this.argvTemplate = loadTemplate(name).template
      } catch {
        // reported by run(); until then every answer counts as secret
      }
    }
    for (const a of answerArgs(this.argv)) if (this.hiddenAnswer(a.question)) registerSecret(a.value)
    await super.init()
  }

  protected override auditArgv(): string[] {
    return redactAnswerArgs(this.argv, (question) => this.hiddenAnswer(question))
  }

  /** A password question's answer, or one whose template is not known (or not its question: a typo of one). */
  private hiddenAnswer(question: string): boolean {
    const template = this.argvTemplate
    if (!template || isSecretName(question)) return true
    return passwordQuestionIds(template).has(question) || !template.questions.some((q) => q.id === question)
  }

  async run(): Promise<OnboardOutput> {
    const {flags} = await this.parse(Onboard)
    this.handlesInterrupt = true
    if (this.ui.json && !flags['credentials-file']) {
      throw usageError('CREDENTIALS_FILE_REQUIRED', 'With --json the initial passwords are not printed: say where to write them.', ['Add --credentials-file <path> (written with mode 0600).'])
    }
    const store = await this.state()
    const env: OnboardEnv = {
      store,
      box: await this.secretBox(),
      signal: this.abort.signal,
      observer: stepProgress(this.ui),
      dataDir: this.dirs.dataDir,
      defaultBackupTarget: this.settings.get<string>('backup.defaultTarget'),
      brandDefaults: brandFromSettings((key) => this.settings.get<string>(key)),
      ...acmeResolverOf(this.settings),
    }
    let result: OnboardResult
    if (flags.resume) {
      result = await resumeOnboarding(env, flags.resume)
    } else {
      const ui = this.ui
      let templateName = flags.template
      if (!templateName) {
        const valid = listTemplates().filter((t) => t.template)
        templateName = await ui.select({message: 'Template', flag: '--template <name>', choices: valid.map((t) => ({value: t.name, name: `${t.name} — ${t.template!.title}`}))})
      }
      const {template, file: templateFile} = loadTemplate(templateName)
      env.templateFile = templateFile
      // Chosen on the terminal, or loaded again: the audit event hides its password answers.
      this.argvTemplate = template
      // The template's and --addons' repositories may be packs': registered before they are checked.
      await this.addonsEnv({sync: mergeAddonRepos(template.addons, parseAddonRepos(flags.addons), template.branding ? [BUILTIN_ADDONS_REPO] : [])})
      const given = await givenAnswers(flags.answers, flags.answer ?? [])
      const request = await planOnboarding(store, {
        template,
        given,
        slug: flags.customer,
        domain: flags.domain,
        host: flags.host,
        plan: flags.plan,
        addons: parseAddonRepos(flags.addons),
        dataDir: this.dirs.dataDir,
        backupTarget: flags['backup-target'],
        interactive: ui.interactive,
        prompter: uiPrompter(ui),
      })
      if (ui.interactive) {
        ui.log(`\n${ui.color.bold(`Onboarding ${request.customer.name}`)} (${request.customer.slug}) from ${template.name} v${template.version}`)
        ui.table(answersSummary(template, request.answers), [
          {header: 'Question', get: (r) => r.question},
          {header: 'Answer', get: (r) => r.answer},
        ])
        ui.log(`Domain ${request.customer.domain}, host ${request.host ?? 'auto-placed'}, modules ${template.modules.join(', ')}${request.addons.length ? `, addons ${request.addons.join(', ')}` : ''}${request.plan ? `, plan ${request.plan}` : ''}.`)
        if (!(await ui.confirm({message: 'Create this customer now?', default: true, assumeYes: false}))) {
          throw usageError('ONBOARD_CANCELLED', 'Onboarding cancelled: nothing was created.', ['Run odoops onboard again when ready.'])
        }
      }
      this.auditContext = {tenant: request.customer.slug, host: request.host}
      result = await startOnboarding(env, request)
    }
    return this.report(result, flags['credentials-file'])
  }

  private async report(result: OnboardResult, file: string | undefined): Promise<OnboardOutput> {
    const {run, tenant} = result
    this.auditContext = {tenant: tenant.id, host: tenant.host, details: {run: run.id, template: run.template, existing: result.existing, resumed: result.resumed}}
    const logins = [...(result.credentials.admin ? [{login: 'admin', password: result.credentials.admin}] : []), ...result.credentials.users]
    const ui = this.ui
    // A host with an ACME account gives the tenant an ACME certificate; a failed attempt is a warning, as in tenant create.
    if (!result.existing && tenant.acme?.status === 'failed') this.warn(acmeWarning(tenant.id, tenant.acme))
    if (result.existing) {
      ui.log(`${run.customerName} (${tenant.id}) was already onboarded by run ${run.id}: ${result.url} (${tenant.state} on ${tenant.host}). Nothing was created.`)
    } else {
      ui.log(`\n${ui.color.bold(run.customerName)} is onboarded: ${result.url} (run ${run.id}, ${tenant.mode} on ${tenant.host}, Odoo ${tenant.series}).`)
      if (run.users.length) ui.table(run.users, [
        {header: 'User', get: (u) => u.name},
        {header: 'Login', get: (u) => u.login},
        {header: 'Role', get: (u) => u.role},
        {header: 'New', get: (u) => (u.created ? 'yes' : 'existed')},
      ])
      ui.log(run.backupId ? `Initial backup: ${run.backupId}` : `Backup: ${run.steps.find((s) => s.name === 'backup')?.detail ?? 'none'}`)
    }
    // An existing customer's logins were delivered by the run that created them.
    const delivery = result.existing ? {shown: false} : await deliverLogins(ui, {url: result.url, database: tenant.database, logins}, file, `odoops onboarding ${run.id}: initial logins of ${tenant.id}.`)
    return {
      run: run.id,
      state: run.state,
      existing: result.existing,
      resumed: result.resumed,
      template: {name: run.template, version: run.templateVersion},
      customer: {slug: run.customer, name: run.customerName},
      tenant: tenantView(tenant),
      url: result.url,
      users: run.users.map((u) => ({login: u.login, name: u.name, role: u.role, created: u.created})),
      steps: run.steps,
      backupId: run.backupId,
      initialLogins: {...delivery, logins: logins.map((l) => l.login)},
    }
  }
}

/** The value of --template / -t on a raw command line (before oclif parses it). */
function templateFlag(argv: readonly string[]): string | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg === '--') return undefined
    if (arg === '--template' || arg === '-t') return argv[i + 1]
    const joined = /^(?:--template=|-t=?)(.+)$/.exec(arg)
    if (joined) return joined[1]
  }
  return undefined
}
