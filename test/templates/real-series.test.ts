import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {ROOT} from '../helpers/cli.js'
import {realSeries} from '../helpers/real-odoo.js'
import {listTemplates, readTemplateFile, type TemplateEntry} from '../../src/lib/templates/index.js'

/**
 * The @real lifecycle onboards each template on one or two series only (about 80 s each); this
 * checks, without a host, that every template's modules, and the modules its roles' groups come
 * from, are in the real package of every supported series the template targets.
 */
describe('templates against the real packages of every series they target @real', () => {
  // A series whose package is missing is named by test/real/lifecycle.test.ts.
  const {present} = realSeries()
  const templates: TemplateEntry[] = [
    ...listTemplates(),
    ...['wholesale', 'ecommerce'].flatMap((pack) => {
      const dir = join(ROOT, 'plugins', pack, 'templates')
      return readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => readTemplateFile(join(dir, f), pack))
    }),
  ]
  /** Modules a pack ships itself (its addons/ folder), which no Odoo package has. */
  const packModules = new Set(['wholesale', 'ecommerce'].flatMap((pack) => {
    const dir = join(ROOT, 'plugins', pack, 'addons')
    return existsSync(dir) ? readdirSync(dir) : []
  }))

  for (const {series, dir} of present) {
    it(`${series}: every module a template targeting it installs or takes a group from is in the package`, function () {
      this.timeout(120_000)
      const deb = readdirSync(dir).find((f) => f.endsWith('.deb'))!
      const listing = execFileSync('dpkg-deb', ['--contents', join(dir, deb)], {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024})
      const modules = new Set([...listing.matchAll(/\/odoo\/addons\/([a-z0-9_]+)\/__manifest__\.py$/gm)].map((m) => m[1]))
      expect(modules.size, 'modules in the package').to.be.greaterThan(300)
      expect(modules.has('definitely_not_a_module')).to.equal(false)
      const checked = templates.filter((t) => t.template?.series?.includes(series))
      expect(checked.length).to.be.greaterThan(2)
      const lacking: string[] = []
      for (const {name, template} of checked) {
        const groupModules = Object.values(template!.roles ?? {}).flatMap((role) => role.groups.map((g) => g.split('.')[0]))
        for (const module of new Set([...template!.modules, ...groupModules])) {
          if (!modules.has(module) && !packModules.has(module)) lacking.push(`${name}: ${module}`)
        }
      }
      expect(lacking, `not in odoo ${series}`).to.deep.equal([])
    })
  }
})
