import {expect} from 'chai'
import {execa} from 'execa'
import {chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {HOST_FACTS_SCRIPT, hostFactsInput, parseHostFacts} from '../../src/lib/addons/deploy/probe.js'
import {readManifest} from '../../src/lib/addons/manifest.js'
import {ROOT} from '../helpers/cli.js'
import {pgCluster, type PgCluster} from '../helpers/pg-cluster.js'
import {extractedFixture, PYTHON, runOdoo, writeConfig} from './helpers.js'

const ADDONS = join(ROOT, 'test', 'fixtures', 'addons')

describe('fixture Odoo: its own addons directory, and modules from addons_path', function () {
  this.timeout(120_000)

  it('ships its catalogue as manifests in odoo/addons/, where the probe finds Odoo\'s own modules', async () => {
    const {root} = await extractedFixture('17.0')
    const site = join(root, 'usr', 'lib', 'python3', 'dist-packages')
    const dir = join(site, 'odoo', 'addons')
    const names = readdirSync(dir).sort()
    expect(names).to.include.members(['base', 'web', 'mail', 'contacts', 'sale_management', 'website_sale'])
    expect(names).to.have.length(41)
    const sale = readManifest(readFileSync(join(dir, 'sale', '__manifest__.py'), 'utf8'))
    expect(sale.depends).to.deep.equal(['sales_team', 'account_payment', 'utm'])
    expect(sale.version).to.equal('1.2')

    const probe = await execa(PYTHON, ['-c', HOST_FACTS_SCRIPT], {input: hostFactsInput({python: [], configs: [], root: join(root, 'none')}), env: {PYTHONPATH: site}, cwd: '/', reject: false})
    expect(probe.exitCode, probe.stderr).to.equal(0)
    expect(parseHostFacts(probe.stdout).odooAddons).to.deep.equal([{path: dir, modules: names}])
  })

  describe('with a throwaway PostgreSQL', () => {
    const tag = `${process.pid}`
    const role = `fx_addons_${tag}`
    const db = `fxaddons_${tag}`
    let cluster: PgCluster
    let root: string
    let work: string
    let base: Record<string, string | number | boolean>

    const q = async (sql: string, params: unknown[] = []) => (await cluster.query(db, sql, params)).rows
    const state = async (name: string) => (await q('SELECT state, latest_version FROM ir_module_module WHERE name = $1', [name]))[0]
    /** A folder of modules as a release directory holds them: the fixture repository copied. */
    const addonsDir = (fixture: string) => {
      const dir = join(work, `${fixture}-${Math.random().toString(36).slice(2)}`)
      cpSync(join(ADDONS, fixture), dir, {recursive: true})
      return dir
    }

    before(async () => {
      cluster = await pgCluster()
      ;({root} = await extractedFixture('17.0'))
      work = mkdtempSync(join(tmpdir(), 'odoops-fxaddons-'))
      chmodSync(work, 0o755)
      await cluster.query('postgres', `CREATE ROLE ${role} LOGIN CREATEDB PASSWORD 'fx-pass'`)
      base = {db_host: '127.0.0.1', db_port: cluster.port, db_user: role, db_password: 'fx-pass', data_dir: join(work, 'data'), workers: 0}
    })

    it('installs a module found on addons_path (-i), at its adapted version, then upgrades it from a newer folder (-u)', async () => {
      const core = join(root, 'usr', 'lib', 'python3', 'dist-packages', 'odoo', 'addons')
      const v10 = writeConfig(work, {...base, addons_path: `${core},${addonsDir('demo-1.0')}`})
      const installed = await runOdoo(root, ['-c', v10, '-d', db, '-i', 'base,odoops_demo', '--stop-after-init'])
      expect(installed.exitCode, installed.stderr).to.equal(0)
      expect(installed.stderr).to.include('addons paths: [')
      expect(await state('odoops_demo')).to.deep.equal({state: 'installed', latest_version: '17.0.1.0'})
      expect(await state('base')).to.deep.equal({state: 'installed', latest_version: '17.0.1.3'})

      const v11 = writeConfig(work, {...base, addons_path: `${core},${addonsDir('demo-1.1')}`})
      const upgraded = await runOdoo(root, ['-c', v11, '-d', db, '-u', 'odoops_demo', '--stop-after-init'])
      expect(upgraded.exitCode, upgraded.stderr).to.equal(0)
      expect(await state('odoops_demo')).to.deep.equal({state: 'installed', latest_version: '17.0.1.1'})
    })

    it('knows no module off addons_path, and installs nothing whose dependency is unknown', async () => {
      const dir = join(work, 'broken-repo')
      mkdirSync(join(dir, 'needs_missing'), {recursive: true})
      writeFileSync(join(dir, 'needs_missing', '__manifest__.py'), "{'name': 'x', 'depends': ['base', 'no_such_module']}")
      mkdirSync(join(dir, 'not_installable'))
      writeFileSync(join(dir, 'not_installable', '__manifest__.py'), "{'name': 'y', 'installable': False}")
      const conf = writeConfig(work, {...base, addons_path: dir})
      const result = await runOdoo(root, ['-c', conf, '-d', db, '-i', 'needs_missing,not_installable,odoops_other', '--stop-after-init'])
      expect(result.exitCode, result.stderr).to.equal(0)
      expect(result.stderr).to.match(/module needs_missing: Unmet dependencies: no_such_module/)
      expect(result.stderr).to.match(/invalid module names, ignored: not_installable, odoops_other/)
      expect(await state('needs_missing')).to.deep.equal({state: 'uninstalled', latest_version: null})
      expect(await state('not_installable')).to.equal(undefined)
    })
  })
})
