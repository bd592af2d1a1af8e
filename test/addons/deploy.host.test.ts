import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {cpSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {FIXTURE_APT_SOURCE} from '../../src/lib/sandbox/index.js'
import {ROOT, runCli, type CliResult} from '../helpers/cli.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {sshRun} from '../helpers/sandbox.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'addons')
const TIMEOUT_MS = 300_000
/** Where the fixture Odoo (like the real package) keeps its own modules. */
const CORE = '/usr/lib/python3/dist-packages/odoo/addons'

/**
 * addons deploy on the shared service of the prepared sandbox (fixture Odoo, which reads
 * addons_path and installs the modules it finds there): the demo repository deployed beside a
 * shared tenant, installed in it, deployed again without a restart, refused (a module whose
 * dependency exists nowhere) with nothing changed, upgraded to 1.1 with the drift reported, and
 * `host prepare` run again keeping the addons_path. The state store is shared with other test
 * files: names here start with `ad-`.
 */
describe('addons deploy on a prepared host @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  const tag = randomBytes(3).toString('hex')
  const slug = `ad-${tag}`
  const domain = `${slug}.addons.example.test`
  const demo = `ad-demo-${tag}`
  const broken = `ad-broken-${tag}`
  const demoSource = mkdtempSync(join(tmpdir(), 'odoops-ad-demo-'))
  let demoSha: string
  let newSha: string

  const cli = (args: string[], timeoutMs = TIMEOUT_MS): Promise<CliResult> => runCli(args, {env, timeoutMs})
  const onHost = async (command: string) => {
    const result = await sshRun(a.sandbox, command)
    expect(result.exitCode, `${command}: ${result.stderr}`).to.equal(0)
    return result.stdout.trim()
  }
  const config = () => onHost(`cat ${a.prepare.service.config}`)
  const startedAt = () => onHost(`systemctl show -p ExecMainStartTimestamp --value ${a.prepare.service.unit}`)
  const deploy = (...repos: string[]) => cli(['addons', 'deploy', ...repos, '--host', a.host, '--json'])
  const latestVersion = (module: string) => onHost(`runuser -u postgres -- psql -XAt -d '${domain}' -c "SELECT state || ' ' || coalesce(latest_version, '') FROM ir_module_module WHERE name = '${module}'"`)

  before(async function () {
    a = await preparedHostFor(this, 4 * TIMEOUT_MS)
    env = a.env
    const credentials = join(mkdtempSync(join(tmpdir(), 'odoops-ad-creds-')), 'creds.txt')
    const created = await cli(['tenant', 'create', slug, '--host', a.host, '--domain', domain, '--json', '--credentials-file', credentials])
    expect(created.code, created.stdout + created.stderr).to.equal(0)

    cpSync(join(FIXTURES, 'demo-1.0'), demoSource, {recursive: true})
    const added = await cli(['addons', 'repo', 'add', demo, '--dir', demoSource, '--series', '17.0', '--json'])
    expect(added.code, added.stderr).to.equal(0)
    demoSha = added.json.release.sha256

    const brokenSource = mkdtempSync(join(tmpdir(), 'odoops-ad-broken-'))
    mkdirSync(join(brokenSource, 'odoops_broken'))
    writeFileSync(join(brokenSource, 'odoops_broken', '__manifest__.py'), "{'name': 'broken', 'version': '1.0', 'depends': ['base', 'odoops_nowhere'], 'license': 'LGPL-3'}\n")
    writeFileSync(join(brokenSource, 'odoops_broken', '__init__.py'), '')
    const addedBroken = await cli(['addons', 'repo', 'add', broken, '--dir', brokenSource, '--json'])
    expect(addedBroken.code, addedBroken.stderr).to.equal(0)
  })

  it('copies the release to /var/lib/odoops/addons/<sha256>, puts it in addons_path after Odoo\'s own, restarts, and the tenant can install its module', async function () {
    this.timeout(2 * TIMEOUT_MS)
    const before = await startedAt()
    const result = await deploy(demo)
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    const dir = `/var/lib/odoops/addons/${demoSha}`
    expect(result.json.releases).to.deep.equal([{repo: demo, sha256: demoSha, dir, change: 'uploaded', modules: ['odoops_demo']}])
    expect(result.json).to.include({change: 'changed', restarted: true})
    expect(result.json.addonsPath).to.deep.equal([CORE, dir])
    expect(result.json.health.find((h: {tenant: string}) => h.tenant === slug)).to.include({ok: true})
    expect(await startedAt()).to.not.equal(before)

    expect(await config()).to.include(`addons_path = ${CORE},${dir}\n`)
    // Root's, readable by the odoo user, not writable by it.
    expect(await onHost(`stat -c '%U:%G %a' ${dir} ${dir}/odoops_demo ${dir}/odoops_demo/__manifest__.py`)).to.equal('root:root 755\nroot:root 755\nroot:root 644')
    expect(await onHost(`runuser -u odoo -- cat ${dir}/odoops_demo/__manifest__.py`)).to.include("'version': '1.0'")
    expect((await sshRun(a.sandbox, `runuser -u odoo -- touch ${dir}/x`)).exitCode).to.not.equal(0)
    expect(await onHost('ls -A /var/lib/odoops/addons')).to.not.match(/\.upload-/)

    const installed = await cli(['tenant', 'update', slug, '--modules', 'odoops_demo', '--json'])
    expect(installed.code, installed.stdout + installed.stderr).to.equal(0)
    expect(installed.json.modules).to.deep.equal({odoops_demo: 'installed'})
    expect(await latestVersion('odoops_demo')).to.equal('installed 17.0.1.0')

    const audit = await cli(['audit', 'list', '--host', a.host, '--json'])
    expect(audit.json.events.map((e: {command: string}) => e.command)).to.include('addons:deploy')
  })

  it('deploying the same release again changes nothing: unchanged, no restart', async function () {
    this.timeout(TIMEOUT_MS)
    const [before, text] = [await startedAt(), await config()]
    const again = await deploy(demo)
    expect(again.code, again.stdout + again.stderr).to.equal(0)
    expect(again.json).to.include({change: 'unchanged', restarted: false})
    expect(again.json.releases.map((r: {change: string}) => r.change)).to.deep.equal(['unchanged'])
    expect(again.json.versions.find((v: {tenant: string}) => v.tenant === slug)).to.deep.include({differs: []})
    expect(await startedAt()).to.equal(before)
    expect(await config()).to.equal(text)
  })

  it('refuses a module whose dependency is nowhere (ADDONS_CHECK_FAILED): config, restart time and release directories unchanged', async function () {
    this.timeout(TIMEOUT_MS)
    const [before, text, dirs] = [await startedAt(), await config(), await onHost('ls -A /var/lib/odoops/addons')]
    const refused = await deploy(demo, broken)
    expect(refused.code).to.equal(1)
    expect(refused.json.error.code).to.equal('ADDONS_CHECK_FAILED')
    const problems = refused.json.error.data.problems as {severity: string; check: string; repo: string; module: string}[]
    expect(problems.filter((p) => p.severity === 'error').map((p) => `${p.check} ${p.repo}/${p.module}`)).to.deep.equal([`depends ${broken}/odoops_broken`])
    expect(await startedAt()).to.equal(before)
    expect(await config()).to.equal(text)
    expect(await onHost('ls -A /var/lib/odoops/addons')).to.equal(dirs)
  })

  it('a new release is deployed with the installed version reported as behind; rollback switches back to 1.0 (no tenant upgraded)', async function () {
    this.timeout(3 * TIMEOUT_MS)
    cpSync(join(FIXTURES, 'demo-1.1'), demoSource, {recursive: true})
    const pinned = await cli(['addons', 'repo', 'update', demo, '--json'])
    expect(pinned.json.outcome).to.equal('pinned')
    newSha = pinned.json.release.sha256 as string
    const result = await deploy(demo)
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    expect(result.json).to.include({change: 'changed', restarted: true})
    expect(result.json.addonsPath).to.deep.equal([CORE, `/var/lib/odoops/addons/${newSha}`])
    expect(result.json.versions.find((v: {tenant: string}) => v.tenant === slug).differs).to.deep.equal([{module: 'odoops_demo', repo: demo, installed: '17.0.1.0', release: '17.0.1.1'}])
    // The previous release stays on the host: it is in the service's history (rollback).
    await onHost(`test -d /var/lib/odoops/addons/${demoSha}`)

    const back = await cli(['addons', 'rollback', demo, '--host', a.host, '--json'])
    expect(back.code, back.stdout + back.stderr).to.equal(0)
    expect(back.json).to.deep.include({repo: demo, from: newSha, to: demoSha, restored: []})
    expect(back.json.deploy.health.find((h: {tenant: string}) => h.tenant === slug)).to.include({ok: true})
    expect(await config()).to.include(`addons_path = ${CORE},/var/lib/odoops/addons/${demoSha}\n`)
    expect(await latestVersion('odoops_demo')).to.equal('installed 17.0.1.0')
  })

  it('--upgrade takes a verified safety backup then -u; rollback is refused without --restore, and with it the tenant\'s data is its safety backup', async function () {
    this.timeout(6 * TIMEOUT_MS)
    const upgraded = await cli(['addons', 'deploy', demo, '--host', a.host, '--upgrade', '--json'], 2 * TIMEOUT_MS)
    expect(upgraded.code, upgraded.stdout + upgraded.stderr).to.equal(0)
    const mine = upgraded.json.upgrades.find((u: {tenant: string}) => u.tenant === slug)
    expect(mine).to.deep.include({ok: true, modules: ['odoops_demo'], upgraded: ['odoops_demo']})
    expect(await latestVersion('odoops_demo')).to.equal('installed 17.0.1.1')
    const backup = await cli(['backup', 'show', mine.backup, '--json'])
    expect(backup.json.backup.verification.status).to.equal('verified')
    // A change made after the upgrade: the restore must take it away.
    await onHost(`runuser -u postgres -- psql -XAt -d '${domain}' -c "INSERT INTO ir_config_parameter (key, value) VALUES ('odoops.test.after_upgrade', 'x')"`)

    const [before, text] = [await startedAt(), await config()]
    const refused = await cli(['addons', 'rollback', demo, '--host', a.host, '--json'])
    expect(refused.code).to.equal(2)
    expect(refused.json.error.code).to.equal('ADDONS_ROLLBACK_UPGRADED')
    expect(refused.json.error.data.tenants.map((t: {tenant: string}) => t.tenant)).to.include(slug)
    expect(await config()).to.equal(text)
    expect(await startedAt()).to.equal(before)

    const restored = await cli(['addons', 'rollback', demo, '--host', a.host, '--restore', '--json'], 3 * TIMEOUT_MS)
    expect(restored.code, restored.stdout + restored.stderr).to.equal(0)
    expect(restored.json.restored.find((r: {tenant: string}) => r.tenant === slug)).to.include({backup: mine.backup})
    expect(restored.json.to).to.equal(demoSha)
    expect(await latestVersion('odoops_demo')).to.equal('installed 17.0.1.0')
    expect(await onHost(`runuser -u postgres -- psql -XAt -d '${domain}' -c "SELECT count(*) FROM ir_config_parameter WHERE key = 'odoops.test.after_upgrade'"`)).to.equal('0')
    expect(await config()).to.include(`addons_path = ${CORE},/var/lib/odoops/addons/${demoSha}\n`)
    const shown = await cli(['tenant', 'status', slug, '--json'])
    expect(shown.code, shown.stdout + shown.stderr).to.equal(0)
  })

  it('tenant move takes the addons along: a dedicated copy runs the same releases; a shared one is refused while the shared service lacks them', async function () {
    this.timeout(6 * TIMEOUT_MS)
    const dedicated = await cli(['tenant', 'move', slug, '--mode', 'dedicated', '--json'], 2 * TIMEOUT_MS)
    expect(dedicated.code, dedicated.stdout + dedicated.stderr).to.equal(0)
    const shown = await cli(['tenant', 'show', slug, '--json'])
    const own = shown.json.service.config as string
    expect(await onHost(`cat ${own}`)).to.include(`addons_path = ${CORE},/var/lib/odoops/addons/${demoSha}\n`)
    expect(await latestVersion('odoops_demo').catch(() => '')).to.equal('')
    const ownState = await onHost(`runuser -u postgres -- psql -XAt -d '${slug}' -c "SELECT state || ' ' || latest_version FROM ir_module_module WHERE name = 'odoops_demo'"`)
    expect(ownState).to.equal('installed 17.0.1.0')

    // Its own service moves on to 1.1; the shared service still runs 1.0: back to shared is refused, nothing changed.
    const newer = await cli(['addons', 'deploy', demo, '--host', a.host, '--service', slug, '--json'])
    expect(newer.code, newer.stdout + newer.stderr).to.equal(0)
    const refused = await cli(['tenant', 'move', slug, '--mode', 'shared', '--json'])
    expect(refused.code).to.equal(2)
    expect(refused.json.error.code).to.equal('MOVE_ADDONS_MISSING')
    expect((await cli(['tenant', 'show', slug, '--json'])).json).to.deep.include({mode: 'dedicated'})

    const back = await cli(['addons', 'rollback', demo, '--host', a.host, '--service', slug, '--json'])
    expect(back.code, back.stdout + back.stderr).to.equal(0)
    const shared = await cli(['tenant', 'move', slug, '--mode', 'shared', '--json'], 2 * TIMEOUT_MS)
    expect(shared.code, shared.stdout + shared.stderr).to.equal(0)
    expect(await latestVersion('odoops_demo')).to.equal('installed 17.0.1.0')
  })

  it('host prepare keeps the addons_path', async function () {
    this.timeout(3 * TIMEOUT_MS)
    const [before, text] = [await startedAt(), await config()]
    const prepared = await cli(['host', 'prepare', a.host, '--odoo', a.series, '--apt-source', FIXTURE_APT_SOURCE, '--json'], 900_000)
    expect(prepared.code, prepared.stdout + prepared.stderr).to.equal(0)
    expect(prepared.json.steps.find((s: {name: string}) => s.name === 'shared-config')).to.include({change: 'unchanged'})
    expect(prepared.json.service.addons).to.deep.equal([{repo: demo, sha256: demoSha}])
    expect(await config()).to.equal(text)
    expect(await startedAt()).to.equal(before)
  })
})
