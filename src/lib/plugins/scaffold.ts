import {usageError} from '../errors.js'
import {PACK_API_VERSION} from './api.js'
import {defaultNamespace} from './discover.js'

/** One file of a new pack: its path inside the pack and its content. */
export interface ScaffoldFile {
  path: string
  content: string
}

export interface ScaffoldOptions {
  /** `demo-pack`, `odoops-pack-demo`, or `@acme/demo-pack`. */
  name: string
  /** Where odoops is installed: the pack's devDependency on odoops points there (`file:`) until odoops is on a registry. */
  odoopsRoot: string
  odoopsVersion: string
}

const NAME = /^(?:@[a-z0-9][a-z0-9-]*\/)?[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/

/** `demo-pack` → package `odoops-pack-demo-pack`, namespace `demo-pack`; scoped names are kept. */
export function packNames(name: string): {packageName: string; namespace: string; directory: string; metricNamespace: string} {
  if (!NAME.test(name) || name.length > 60) {
    throw usageError('PACK_NAME_INVALID', `"${name}" is not a pack name: lowercase letters, digits and dashes (optionally @scope/).`, ['e.g. odoops pack new fieldservice'])
  }
  const packageName = name.startsWith('@') || name.startsWith('odoops-pack-') ? name : `odoops-pack-${name}`
  const namespace = defaultNamespace(packageName)
  return {packageName, namespace, directory: name.replace(/^@[^/]+\//, ''), metricNamespace: namespace.replaceAll('-', '_')}
}

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n'

/**
 * The files of a new pack that builds (`npm run build`: tsc + oclif manifest) and passes its
 * own tests (`npm test`) as generated: a template, a metric, an onboarding step, a command,
 * tests, a README. Every contribution is namespaced with the pack's namespace.
 */
export function scaffoldPack(options: ScaffoldOptions): ScaffoldFile[] {
  const {packageName, namespace, metricNamespace} = packNames(options.name)
  const major = PACK_API_VERSION.split('.')[0]
  const [odoopsMajor, odoopsMinor] = options.odoopsVersion.split('.').map(Number)
  const peerRange = odoopsMajor === 0 ? `>=0.${odoopsMinor}.0 <0.${odoopsMinor + 1}.0` : `^${odoopsMajor}.0.0`
  const packageJson = {
    name: packageName,
    version: '0.1.0',
    description: `odoops pack ${namespace}: a template, a metric, an onboarding step and a command`,
    type: 'module',
    license: 'UNLICENSED',
    files: ['dist', 'templates', 'oclif.manifest.json'],
    keywords: ['oclif-plugin', 'odoops-pack'],
    scripts: {build: 'tsc -p tsconfig.json && oclif manifest', test: 'mocha', prepack: 'npm run build'},
    peerDependencies: {odoops: peerRange},
    devDependencies: {
      odoops: `file:${options.odoopsRoot}`,
      '@types/chai': '^5.2.3',
      '@types/mocha': '^10.0.10',
      '@types/node': '^20.19.43',
      chai: '^6.3.0',
      mocha: '^11.8.0',
      oclif: '^4.24.0',
      tsx: '4.20',
      typescript: '~5.9',
    },
    oclif: {commands: './dist/commands', topicSeparator: ' ', topics: {[namespace]: {description: `the ${namespace} pack`}}},
    odoops: {
      apiVersion: `^${major}.0.0`,
      summary: `template ${namespace}/${namespace}; metric ${metricNamespace}.companies; step ${namespace}/mark; command ${namespace} info`,
      templates: 'templates',
      metrics: 'dist/metrics.js',
      steps: 'dist/steps.js',
    },
  }
  const tsconfig = {
    compilerOptions: {target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], strict: true, noImplicitOverride: true, skipLibCheck: true, declaration: false, rootDir: 'src', outDir: 'dist'},
    include: ['src/**/*.ts'],
  }
  const files: ScaffoldFile[] = [
    {path: 'package.json', content: json(packageJson)},
    {path: 'tsconfig.json', content: json(tsconfig)},
    {path: '.mocharc.json', content: json({'node-option': ['import=tsx'], spec: ['test/**/*.test.ts'], extension: ['ts'], timeout: 60000})},
    {path: '.gitignore', content: 'node_modules/\ndist/\noclif.manifest.json\n'},
    {
      path: `templates/${namespace}.yaml`,
      content: `# Listed as ${namespace}/${namespace} once the pack is installed (odoops template list).
# Schema and fields: odoops' docs/templates.md; checked with the core schema when odoops loads the pack.
name: ${namespace}
title: ${namespace} — sales and invoicing for a small business
version: 1
series: ["17.0", "18.0", "19.0"]
hosting:
  mode: shared
customer:
  name: "{{ answers.company_name }}"
  domain: "{{ answers.domain }}"
modules: [sale_management, account]
questions:
  - id: company_name
    type: input
    message: Company name
    maxLength: 120
  - id: domain
    type: input
    format: domain
    message: Domain the users will open
  - id: admin_email
    type: input
    format: email
    message: E-mail of the customer's main contact
company:
  name: "{{ answers.company_name }}"
  email: "{{ answers.admin_email }}"
settings:
  - key: odoops.template
    value: ${namespace}/${namespace}
`,
    },
    {
      path: 'src/metrics.ts',
      content: `import type {PackMetric} from 'odoops'

/** Active companies among the contacts (res_partner.is_company): an example of a metric plans can price. */
export const companies: PackMetric = {
  name: '${metricNamespace}.companies',
  unit: 'companies',
  aggregation: 'max',
  queryVersion: 1,
  description: 'active company contacts (res_partner is_company AND active)',
  tables: ['res_partner'],
  async collect(ctx) {
    if (!(await ctx.tableExists('res_partner'))) return 0
    // count(*) is a bigint: pg returns it as text.
    const result = await ctx.client.query<{n: string}>('SELECT count(*) AS n FROM res_partner WHERE is_company AND active')
    return Number(result.rows[0]?.n ?? 0)
  },
}

export const metrics: PackMetric[] = [companies]
`,
    },
    {
      path: 'src/steps.ts',
      content: `import type {PackStep} from 'odoops'

/** Records in the database that this pack onboarded it (ir.config_parameter); safe to run again. */
export const markStep: PackStep = {
  name: 'mark',
  title: 'mark the database as set up by the ${namespace} pack',
  after: 'settings',
  async run({odoo, template}) {
    const key = '${namespace}.onboarded_with'
    if ((await odoo.call('ir.config_parameter', 'get_param', [key])) === template.name) return {change: 'unchanged', detail: 'already marked'}
    await odoo.call('ir.config_parameter', 'set_param', [key, template.name])
    return {change: 'changed', detail: key}
  },
}

export const steps: PackStep[] = [markStep]
`,
    },
    {
      path: `src/commands/${namespace}/info.ts`,
      content: `import {Args, OdoopsCommand, PACK_API_VERSION, withTenantOdoo} from 'odoops'
import {metrics} from '../../metrics.js'
import {steps} from '../../steps.js'

export interface InfoResult {
  pack: string
  apiVersion: string
  metrics: string[]
  steps: string[]
  /** With a tenant: what the pack's step recorded there. */
  tenant?: {slug: string; onboardedWith: string | false}
}

export default class Info extends OdoopsCommand<InfoResult> {
  static override summary = 'what the ${namespace} pack contributes; with a tenant, whether the pack set it up'
  // With a tenant it reaches the tenant's host: odoops sets SSH up before run().
  static override usesSsh = true
  static override args = {tenant: Args.string({description: 'tenant slug (optional)'})}
  static override examples = ['<%= config.bin %> <%= command.id %> --json', '<%= config.bin %> <%= command.id %> acme']

  async run(): Promise<InfoResult> {
    const {args} = await this.parse(Info)
    const result: InfoResult = {pack: '${packageName}', apiVersion: PACK_API_VERSION, metrics: metrics.map((m) => m.name), steps: steps.map((s) => '${namespace}/' + s.name)}
    if (args.tenant) {
      const onboardedWith = await withTenantOdoo(await this.state(), await this.secretBox(), args.tenant, (odoo) => odoo.call<string | false>('ir.config_parameter', 'get_param', ['${namespace}.onboarded_with']))
      result.tenant = {slug: args.tenant, onboardedWith}
    }
    this.ui.log(\`\${result.pack}: metrics \${result.metrics.join(', ')}; steps \${result.steps.join(', ')}\${result.tenant ? \`; \${result.tenant.slug}: \${result.tenant.onboardedWith || 'not set up by this pack'}\` : ''}\`)
    return result
  }
}
`,
    },
    {
      path: 'test/pack.test.ts',
      content: `import {expect} from 'chai'
import {readdirSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {checkMetric, checkTemplateFile, type PackMetricContext, type PackStepContext} from 'odoops'
import {metrics} from '../src/metrics.js'
import {steps} from '../src/steps.js'

const templates = fileURLToPath(new URL('../templates/', import.meta.url))

describe('${packageName}', () => {
  it('its templates pass odoops\\' core schema and checks', async () => {
    for (const file of readdirSync(templates).filter((f) => f.endsWith('.yaml'))) {
      const checked = await checkTemplateFile(templates + file)
      expect(checked.problems, file).to.deep.equal([])
    }
  })

  it('its metrics are valid in its namespace and count what the query returns', async () => {
    for (const metric of metrics) expect(await checkMetric(metric, '${metricNamespace}'), metric.name).to.equal(undefined)
    const asked: string[] = []
    const ctx = {
      client: {query: async (text: string) => (asked.push(text), {rows: [{n: '3'}]})},
      tableExists: async () => true,
    } as unknown as PackMetricContext
    expect(await metrics[0].collect(ctx)).to.equal(3)
    expect(asked[0]).to.match(/FROM res_partner/)
  })

  it('its step writes once, then finds it done (a resumed onboarding repeats nothing)', async () => {
    const params = new Map<string, string>()
    const calls: string[] = []
    const odoo = {
      db: 'test', uid: 2,
      async call(model: string, method: string, args: unknown[] = []) {
        calls.push(\`\${model}.\${method}\`)
        if (method === 'get_param') return params.get(String(args[0])) ?? false
        if (method === 'set_param') return params.set(String(args[0]), String(args[1])), false
        throw new Error(\`unexpected \${model}.\${method}\`)
      },
    }
    const ctx = {odoo, answers: {}, template: {name: '${namespace}/${namespace}', version: 1, modules: []}, tenant: {slug: 'acme', domain: 'acme.example', url: 'https://acme.example', database: 'acme.example'}, signal: new AbortController().signal} as unknown as PackStepContext
    expect(await steps[0].run(ctx)).to.deep.equal({change: 'changed', detail: '${namespace}.onboarded_with'})
    expect(await steps[0].run(ctx)).to.include({change: 'unchanged'})
    expect(calls.filter((c) => c.endsWith('set_param'))).to.have.length(1)
  })

  // Against a real tenant (a sandbox: odoops sandbox up, host prepare, onboard --template ${namespace}/${namespace}):
  // PACK_TEST_TENANT=<slug> npm test, with this pack linked (odoops plugins link .).
  it('on a tenant onboarded from its template, the step has marked the database', async function () {
    const tenant = process.env.PACK_TEST_TENANT
    if (!tenant) this.skip()
    const {execFileSync} = await import('node:child_process')
    const out = JSON.parse(execFileSync('odoops', ['${namespace}', 'info', tenant!, '--json'], {encoding: 'utf8'}))
    expect(out.tenant.onboardedWith).to.equal('${namespace}/${namespace}')
  })
})
`,
    },
    {
      path: 'README.md',
      content: `# ${packageName}

An odoops pack (an oclif plugin with an \`odoops\` section in package.json). It contributes:

| What | Name | Where |
|---|---|---|
| template | \`${namespace}/${namespace}\` | templates/${namespace}.yaml |
| metric | \`${metricNamespace}.companies\` | src/metrics.ts |
| onboarding step | \`${namespace}/mark\` (after \`settings\`) | src/steps.ts |
| command | \`odoops ${namespace} info [tenant]\` | src/commands/${namespace}/info.ts |

\`\`\`
npm install            # devDependencies, and odoops itself (peer)
npm run build          # tsc, then oclif manifest (odoops --help never loads your code)
npm test               # template, metric and step checks; PACK_TEST_TENANT=<slug> adds a live check
odoops plugins link .  # use it in your odoops
odoops plugins doctor  # what odoops sees of it, and any problem
\`\`\`

Odoo modules your vertical needs can ship in the pack too: put them in a folder of modules
(\`addons/<module>/__manifest__.py\`), add \`"addons": {"${namespace}": "addons"}\` to the \`odoops\` section
and \`"addons"\` to \`files\`, and name \`${namespace}\` in your template's \`addons\`. odoops registers it as
the addon repository \`${namespace}\` (docs/addons.md, "Packs"); \`checkAddonsFolder('addons', {series})\`
from 'odoops' checks it in your tests as a deploy would.

The pack API (types, stability promise, how each contribution runs) is in odoops' docs/plugins.md.
Written for pack API ^${major}.0.0 (odoops ${options.odoopsVersion}).
`,
    },
  ]
  return files
}
