import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {cpSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ROOT, runCli, type CliResult} from '../helpers/cli.js'
import {preparedHostFor, type PreparedHost} from '../helpers/prepared-host.js'
import {sshRun} from '../helpers/sandbox.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'addons')
const TIMEOUT_MS = 300_000

/**
 * `tenant create --addons` on the prepared sandbox (fixture Odoo, which reads addons_path and
 * installs the modules it finds there). A dedicated tenant runs the demo repository in its own
 * service and installs odoops_demo at creation; a shared tenant gets a repository of its own
 * added to the shared service's set (a module named per run, so the repositories other test
 * files deploy to the same shared service never define it twice). The state store is shared
 * with other test files: names here start with `ta-`.
 */
describe('tenant create --addons on a prepared host @host', function () {
  let a: PreparedHost
  let env: Record<string, string>
  const tag = randomBytes(3).toString('hex')
  const demo = `ta-demo-${tag}`
  const own = `ta-own-${tag}`
  const ownModule = `odoops_ta_${tag}`
  const credentials = mkdtempSync(join(tmpdir(), 'odoops-ta-creds-'))
  let demoSha: string

  const cli = (args: string[], timeoutMs = TIMEOUT_MS): Promise<CliResult> => runCli(args, {env, timeoutMs})
  const onHost = async (command: string) => {
    const result = await sshRun(a.sandbox, command)
    expect(result.exitCode, `${command}: ${result.stderr}`).to.equal(0)
    return result.stdout.trim()
  }
  const moduleState = (database: string, module: string) =>
    onHost(`runuser -u postgres -- psql -XAt -d '${database}' -c "SELECT state || ' ' || coalesce(latest_version, '') FROM ir_module_module WHERE name = '${module}'"`)
  const create = (slug: string, ...extra: string[]) =>
    cli(['tenant', 'create', slug, '--host', a.host, '--domain', `${slug}.addons.example.test`, '--json', '--credentials-file', join(credentials, `${slug}.txt`), ...extra], 2 * TIMEOUT_MS)

  before(async function () {
    a = await preparedHostFor(this, 2 * TIMEOUT_MS)
    env = a.env
    const demoSource = mkdtempSync(join(tmpdir(), 'odoops-ta-demo-'))
    cpSync(join(FIXTURES, 'demo-1.0'), demoSource, {recursive: true})
    const added = await cli(['addons', 'repo', 'add', demo, '--dir', demoSource, '--series', '17.0', '--json'])
    expect(added.code, added.stderr).to.equal(0)
    demoSha = added.json.release.sha256

    const ownSource = mkdtempSync(join(tmpdir(), 'odoops-ta-own-'))
    mkdirSync(join(ownSource, ownModule))
    writeFileSync(join(ownSource, ownModule, '__manifest__.py'), "{'name': 'odoops tenant addons test', 'version': '17.0.1.0', 'depends': ['base'], 'license': 'LGPL-3', 'installable': True}\n")
    writeFileSync(join(ownSource, ownModule, '__init__.py'), '')
    const addedOwn = await cli(['addons', 'repo', 'add', own, '--dir', ownSource, '--json'])
    expect(addedOwn.code, addedOwn.stderr).to.equal(0)
  })

  it('refuses a repository nobody registered before creating anything (usage error naming addons repo list)', async function () {
    this.timeout(TIMEOUT_MS)
    const slug = `ta-none-${tag}`
    const refused = await create(slug, '--addons', `ta-nowhere-${tag}`)
    expect(refused.code).to.equal(2)
    expect(refused.json.error.code).to.equal('ADDONS_REPO_NOT_FOUND')
    expect(refused.json.error.suggestions.join('\n')).to.include('odoops addons repo list')
    const shown = await cli(['tenant', 'show', slug, '--json'])
    expect(shown.json.error.code).to.equal('TENANT_NOT_FOUND')
  })

  it('a dedicated tenant runs the repository in its own service and installs its module at creation; tenant show lists it', async function () {
    this.timeout(3 * TIMEOUT_MS)
    const slug = `ta-d-${tag}`
    const sharedConfig = await onHost(`cat ${a.prepare.service.config}`)
    const created = await create(slug, '--mode', 'dedicated', '--addons', demo, '--modules', 'odoops_demo')
    expect(created.code, created.stdout + created.stderr).to.equal(0)
    expect(created.json.tenant.addonRepos).to.deep.equal([demo])
    expect(created.json.steps.find((s: {name: string}) => s.name === 'addons')).to.include({state: 'done', change: 'changed'})
    expect(await moduleState(slug, 'odoops_demo')).to.equal('installed 17.0.1.0')

    const shown = await cli(['tenant', 'show', slug, '--json'])
    expect(shown.code, shown.stderr).to.equal(0)
    const sha = demoSha
    expect(shown.json.addonRepos).to.deep.equal([demo])
    expect(shown.json.addons).to.deep.equal([{repo: demo, sha256: sha, release: `sha256:${sha.slice(0, 12)}`, service: 'dedicated'}])
    expect(await onHost(`grep '^addons_path' ${created.json.tenant.service.config}`)).to.include(`/var/lib/odoops/addons/${sha}`)
    // Its own set: the shared service's config is not touched by a dedicated tenant's addons.
    expect(await onHost(`cat ${a.prepare.service.config}`)).to.equal(sharedConfig)

    const removed = await cli(['tenant', 'remove', slug, '--confirm', slug, '--json'])
    expect(removed.code, removed.stdout + removed.stderr).to.equal(0)
  })

  it('a shared tenant gets its repository added to the shared service (the recorded set kept, then the missing one) and installs its module', async function () {
    this.timeout(3 * TIMEOUT_MS)
    const before = ((await cli(['host', 'show', a.host, '--json'])).json.services?.[a.series]?.addons ?? []) as {repo: string; sha256: string}[]
    const slug = `ta-s-${tag}`
    const created = await create(slug, '--addons', own, '--modules', ownModule)
    expect(created.code, created.stdout + created.stderr).to.equal(0)
    expect(await moduleState(`${slug}.addons.example.test`, ownModule)).to.equal('installed 17.0.1.0')

    const after = (await cli(['host', 'show', a.host, '--json'])).json.services[a.series].addons as {repo: string; sha256: string}[]
    expect(after.slice(0, before.length)).to.deep.equal(before)
    expect(after.map((entry) => entry.repo).slice(before.length)).to.deep.equal([own])
    const shown = await cli(['tenant', 'show', slug, '--json'])
    expect(shown.json.addons.map((entry: {repo: string; service: string}) => `${entry.repo} ${entry.service}`)).to.deep.equal(after.map((entry) => `${entry.repo} shared`))

    // A second tenant asking for the same repository changes nothing on the service.
    const second = `ta-s2-${tag}`
    const again = await create(second, '--addons', own)
    expect(again.code, again.stdout + again.stderr).to.equal(0)
    expect(again.json.steps.find((s: {name: string}) => s.name === 'addons')).to.include({change: 'unchanged'})
    expect((await cli(['host', 'show', a.host, '--json'])).json.services[a.series].addons).to.deep.equal(after)

    for (const s of [slug, second]) {
      const removed = await cli(['tenant', 'remove', s, '--confirm', s, '--json'])
      expect(removed.code, removed.stdout + removed.stderr).to.equal(0)
    }
  })
})
