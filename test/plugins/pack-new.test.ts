import {expect} from 'chai'
import {execa} from 'execa'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ROOT, isolatedEnv, runCli} from '../helpers/cli.js'
import {linkPacks} from './helpers.js'

/**
 * Stands in for `npm install` in the new pack (no registry in CI): its node_modules gets a link
 * to each package odoops itself has installed (the same versions the pack asks for) and
 * `odoops` → this checkout, as its `file:` devDependency would give. ODOOPS_PACK_NEW_NPM=1
 * runs the real `npm install` instead.
 */
function offlineInstall(packDir: string): void {
  const modules = join(packDir, 'node_modules')
  mkdirSync(modules)
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry === 'odoops' || entry === '.package-lock.json') continue
    symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry))
  }
  symlinkSync(ROOT, join(modules, 'odoops'))
}

describe('odoops pack new: the scaffold builds, passes its own tests and installs with plugins link', function () {
  this.timeout(300_000)
  const parent = mkdtempSync(join(tmpdir(), 'odoops-packnew-'))
  const packDir = join(parent, 'demo-pack')
  let env: Record<string, string>

  before(() => {
    env = isolatedEnv()
  })

  it('writes the pack: package.json with the oclif and odoops sections, template, metric, step, command, tests, README', async () => {
    const result = await runCli(['pack', 'new', 'demo-pack', '--dir', parent, '--json'], {env})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.json).to.include({name: 'odoops-pack-demo-pack', namespace: 'demo-pack', directory: packDir})
    expect(result.json.files).to.include.members(['package.json', 'templates/demo-pack.yaml', 'src/metrics.ts', 'src/steps.ts', 'src/commands/demo-pack/info.ts', 'test/pack.test.ts', 'README.md'])
    const pjson = JSON.parse(readFileSync(join(packDir, 'package.json'), 'utf8'))
    expect(pjson.oclif.commands).to.equal('./dist/commands')
    expect(pjson.odoops).to.include({apiVersion: '^1.0.0', templates: 'templates', metrics: 'dist/metrics.js', steps: 'dist/steps.js'})
    const again = await runCli(['pack', 'new', 'demo-pack', '--dir', parent, '--json'], {env})
    expect(again.code).to.equal(2)
    expect(again.json.error.code).to.equal('PACK_DIR_NOT_EMPTY')
  })

  it('untouched, it installs, builds (tsc + oclif manifest) and passes its own tests', async () => {
    if (process.env.ODOOPS_PACK_NEW_NPM === '1') await execa('npm', ['install'], {cwd: packDir})
    else offlineInstall(packDir)
    const build = await execa('npm', ['run', 'build'], {cwd: packDir, reject: false})
    expect(build.exitCode, build.stdout + build.stderr).to.equal(0)
    const manifest = JSON.parse(readFileSync(join(packDir, 'oclif.manifest.json'), 'utf8'))
    expect(Object.keys(manifest.commands)).to.deep.equal(['demo-pack:info'])
    const test = await execa('npm', ['test'], {cwd: packDir, reject: false})
    expect(test.exitCode, test.stdout + test.stderr).to.equal(0)
    expect(test.stdout).to.match(/3 passing/).and.match(/1 pending/)
  })

  it('links into odoops: doctor sees it whole, its template is listed, its command answers --json', async () => {
    await linkPacks(env, [packDir])
    const doctor = await runCli(['plugins', 'doctor', '--json'], {env})
    expect(doctor.code, doctor.stdout + doctor.stderr).to.equal(0)
    const pack = doctor.json.packs.find((p: {name: string}) => p.name === 'odoops-pack-demo-pack')
    expect(pack).to.include({ok: true, namespace: 'demo-pack'})
    expect(pack.metrics.map((m: {name: string}) => m.name)).to.deep.equal(['demo_pack.companies'])
    expect(pack.steps.map((s: {name: string}) => s.name)).to.deep.equal(['demo-pack/mark'])
    const templates = await runCli(['template', 'list', '--json'], {env})
    expect(templates.json.templates.find((t: {name: string}) => t.name === 'demo-pack/demo-pack')).to.include({valid: true})
    const info = await runCli(['demo-pack', 'info', '--json'], {env})
    expect(info.code, info.stdout + info.stderr).to.equal(0)
    expect(info.json).to.deep.equal({pack: 'odoops-pack-demo-pack', apiVersion: '1.0.0', metrics: ['demo_pack.companies'], steps: ['demo-pack/mark'], warnings: []})
    const missing = await runCli(['demo-pack', 'info', 'nobody', '--json'], {env})
    expect(missing.code).to.equal(2)
    expect(missing.json.error.code).to.equal('TENANT_NOT_FOUND')
  })
})
