import {expect} from 'chai'
import {execa} from 'execa'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isolatedEnv, ROOT, runCli} from '../helpers/cli.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'addons')

/** A local git repository holding the demo module at 1.0 on `main`, for `--git file://…`. */
async function gitRepoWithDemo(): Promise<{dir: string; url: string; commit: (from: string, message: string) => Promise<string>}> {
  const dir = mkdtempSync(join(tmpdir(), 'odoops-addons-git-'))
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=odoops test', '-c', 'user.email=test@odoops.invalid', '-c', 'init.defaultBranch=main', ...args], {cwd: dir, env: {GIT_CONFIG_NOSYSTEM: '1'}})
  await git('init', '-q')
  const commit = async (from: string, message: string) => {
    cpSync(join(FIXTURES, from), dir, {recursive: true})
    await git('add', '-A')
    await git('commit', '-q', '-m', message)
    return (await git('rev-parse', 'HEAD')).stdout.trim()
  }
  await commit('demo-1.0', 'demo 1.0')
  return {dir, url: `file://${dir}`, commit}
}

describe('addons repo (add, update, list, show, remove)', () => {
  it('pins a folder of modules: the module read from its manifest, the release named by its SHA-256, the same content unchanged on update', async () => {
    const env = isolatedEnv()
    const source = mkdtempSync(join(tmpdir(), 'odoops-addons-dir-'))
    cpSync(join(FIXTURES, 'demo-1.0'), source, {recursive: true})

    const added = await runCli(['addons', 'repo', 'add', 'acme-addons', '--dir', source, '--series', '17.0', '--json'], {env})
    expect(added.code, added.stderr).to.equal(0)
    expect(added.json.outcome).to.equal('added')
    expect(added.json.problems).to.deep.equal([])
    expect(added.json.repo).to.deep.include({name: 'acme-addons', series: '17.0', location: `dir ${source}`, releases: 1})
    const sha = added.json.release.sha256 as string
    expect(sha).to.match(/^[0-9a-f]{64}$/)
    expect(added.json.release.modules).to.equal(1)
    expect(existsSync(join(env.ODOOPS_DATA_DIR, 'addons', 'releases', `${sha}.tar`))).to.equal(true)

    const shown = await runCli(['addons', 'repo', 'show', 'acme-addons', '--json'], {env})
    expect(shown.code, shown.stderr).to.equal(0)
    expect(shown.json.release.modules).to.deep.equal([
      {name: 'odoops_demo', title: 'odoops demo', version: '1.0', license: 'LGPL-3', depends: ['base'], installable: true, externalPython: [], externalBin: []},
    ])
    expect(shown.json.release.local).to.equal(true)

    const again = await runCli(['addons', 'repo', 'update', 'acme-addons', '--json'], {env})
    expect(again.code, again.stderr).to.equal(0)
    expect(again.json.outcome).to.equal('unchanged')
    expect(again.json.release.sha256).to.equal(sha)

    // The folder changes: the next update pins a second release and makes it current.
    cpSync(join(FIXTURES, 'demo-1.1'), source, {recursive: true})
    const updated = await runCli(['addons', 'repo', 'update', 'acme-addons', '--json'], {env})
    expect(updated.json.outcome).to.equal('pinned')
    expect(updated.json.release.sha256).to.not.equal(sha)
    expect(updated.json.repo.releases).to.equal(2)
    const current = await runCli(['addons', 'repo', 'show', 'acme-addons', '--json'], {env})
    expect(current.json.release.modules[0].version).to.equal('1.1')
    expect(current.json.releases.map((r: {sha256: string; current: boolean}) => [r.sha256, r.current])).to.deep.equal([
      [sha, false],
      [updated.json.release.sha256, true],
    ])
    const older = await runCli(['addons', 'repo', 'show', 'acme-addons', '--release', sha.slice(0, 10), '--json'], {env})
    expect(older.json.release.modules[0].version).to.equal('1.0')

    const listed = await runCli(['addons', 'repo', 'list', '--json'], {env})
    expect(listed.json.repos.map((r: {name: string; current: {sha256: string}}) => [r.name, r.current.sha256])).to.deep.equal([['acme-addons', updated.json.release.sha256]])
    expect(listed.json.warnings).to.deep.equal([])

    const refused = await runCli(['addons', 'repo', 'remove', 'acme-addons', '--json'], {env})
    expect(refused.code).to.equal(2)
    const removed = await runCli(['addons', 'repo', 'remove', 'acme-addons', '--confirm', 'acme-addons', '--json'], {env})
    expect(removed.code, removed.stderr).to.equal(0)
    expect(readdirSync(join(env.ODOOPS_DATA_DIR, 'addons', 'releases')).filter((f) => f.endsWith('.tar'))).to.deep.equal([])
    expect((await runCli(['addons', 'repo', 'list', '--json'], {env})).json.repos).to.deep.equal([])
  })

  it('pins a git branch to its commit, and update follows the branch when it moves', async () => {
    const env = isolatedEnv()
    const repo = await gitRepoWithDemo()
    const first = (await execa('git', ['rev-parse', 'HEAD'], {cwd: repo.dir})).stdout.trim()
    const added = await runCli(['addons', 'repo', 'add', 'demo', '--git', repo.url, '--ref', 'main', '--json'], {env})
    expect(added.code, added.stderr).to.equal(0)
    expect(added.json.release).to.deep.include({commit: first, ref: 'main'})

    const second = await repo.commit('demo-1.1', 'demo 1.1')
    const updated = await runCli(['addons', 'repo', 'update', 'demo', '--json'], {env})
    expect(updated.code, updated.stderr).to.equal(0)
    expect(updated.json.outcome).to.equal('pinned')
    expect(updated.json.release.commit).to.equal(second)
    const unchanged = await runCli(['addons', 'repo', 'update', 'demo', '--json'], {env})
    expect(unchanged.json.outcome).to.equal('unchanged')
    expect(unchanged.json.release.commit).to.equal(second)
  })

  it('reports every module problem at once, keeps the release, and names the fix', async () => {
    const env = isolatedEnv()
    const source = mkdtempSync(join(tmpdir(), 'odoops-addons-bad-'))
    const module = (name: string, manifest: string) => {
      mkdirSync(join(source, name))
      writeFileSync(join(source, name, '__manifest__.py'), manifest)
      writeFileSync(join(source, name, '__init__.py'), '')
    }
    module('broken', "{'name': 'Broken', 'version': '17.0.1.0.0', 'depends': ['base'] + ['web']}")
    module('other_series', "{'name': 'Old', 'version': '16.0.1.0.0', 'depends': ['base']}")
    module('retired', "{'name': 'Retired', 'version': '17.0.1.0.0', 'installable': False}")
    const added = await runCli(['addons', 'repo', 'add', 'mixed', '--dir', source, '--series', '17.0', '--json'], {env})
    expect(added.code, added.stderr).to.equal(0)
    const found = (added.json.problems as {severity: string; check: string; module: string}[]).map((p) => [p.severity, p.check, p.module]).sort()
    expect(found).to.deep.equal([
      ['error', 'manifest', 'broken'],
      ['error', 'version', 'other_series'],
      ['warning', 'installable', 'retired'],
    ])
    const plain = await runCli(['addons', 'repo', 'show', 'mixed'], {env})
    expect(plain.stdout).to.match(/Error \[manifest\] mixed\/broken: .*line 1/)
    expect(plain.stdout).to.include('Fix: Deploy the repository\'s 17.0 branch or release')
  })

  describe('refuses bad input with exit 2, a named code, and nothing recorded', () => {
    const source = join(FIXTURES, 'demo-1.0')
    const cases: {title: string; args: string[]; code: string; mustNotShow?: string}[] = [
      {title: 'a name with capitals and spaces', args: ['add', 'Acme Addons', '--dir', source], code: 'ADDONS_REPO_NAME_INVALID'},
      {title: 'no source', args: ['add', 'x'], code: 'ADDONS_SOURCE_MISSING'},
      {title: 'two sources', args: ['add', 'x', '--dir', source, '--archive', '/tmp/x.zip'], code: 'ADDONS_SOURCE_MISSING'},
      {title: '--ref without --git', args: ['add', 'x', '--dir', source, '--ref', 'main'], code: 'ADDONS_SOURCE_INVALID'},
      {title: 'an empty --dir', args: ['add', 'x', '--dir', ''], code: 'ADDONS_SOURCE_INVALID'},
      {title: 'a git URL with a password', args: ['add', 'x', '--git', 'https://bob:s3cr3t-pw@git.example.com/acme/addons.git'], code: 'ADDONS_GIT_CREDENTIALS_IN_URL', mustNotShow: 's3cr3t-pw'},
      {title: 'a git URL that is an option', args: ['add', 'x', '--git=--upload-pack=touch /tmp/pwned'], code: 'ADDONS_GIT_URL_INVALID'},
      {title: 'a series that is not one', args: ['add', 'x', '--dir', source, '--series', 'seventeen'], code: 'ODOO_SERIES_INVALID'},
      {title: 'a folder that does not exist', args: ['add', 'x', '--dir', '/nonexistent/addons'], code: 'ADDONS_SOURCE_NOT_FOUND'},
      {title: 'show of an unknown repository', args: ['show', 'nope'], code: 'ADDONS_REPO_NOT_FOUND'},
      {title: 'update of an unknown repository', args: ['update', 'nope'], code: 'ADDONS_REPO_NOT_FOUND'},
    ]
    for (const testCase of cases) {
      it(testCase.title, async () => {
        const env = isolatedEnv()
        for (const json of [true, false]) {
          const result = await runCli(['addons', 'repo', ...testCase.args, ...(json ? ['--json'] : [])], {env})
          expect(result.code, result.stderr + result.stdout).to.equal(2)
          if (json) expect(result.json.error.code).to.equal(testCase.code)
          else expect(result.stderr).to.include('Try this')
          if (testCase.mustNotShow) expect(result.stdout + result.stderr).to.not.include(testCase.mustNotShow)
        }
        expect((await runCli(['addons', 'repo', 'list', '--json'], {env})).json.repos).to.deep.equal([])
        expect(existsSync('/tmp/pwned')).to.equal(false)
      })
    }

    it('a data or cache directory under /proc: exit 2 at once, never a recursive mkdir spinning on /proc', async () => {
      const store = mkdtempSync(join(tmpdir(), 'odoops-addons-store-'))
      const data = await runCli(['addons', 'repo', 'add', 'x', '--dir', source, '--state', join(store, 'a'), '--json'], {env: isolatedEnv({ODOOPS_DATA_DIR: '/proc/nope/d'}), timeoutMs: 20_000})
      expect(data.code, data.stderr).to.equal(2)
      expect(data.json.error.code).to.equal('ADDONS_RELEASE_WRITE_FAILED')
      const repo = await gitRepoWithDemo()
      const cache = await runCli(['addons', 'repo', 'add', 'x', '--git', repo.url, '--state', join(store, 'b'), '--json'], {env: isolatedEnv({ODOOPS_CACHE_DIR: '/proc/nope/c'}), timeoutMs: 20_000})
      expect(cache.code, cache.stderr).to.equal(2)
      expect(cache.json.error.code).to.equal('ADDONS_GIT_FAILED')
    })

    it('a second repository under a taken name', async () => {
      const env = isolatedEnv()
      expect((await runCli(['addons', 'repo', 'add', 'demo', '--dir', source], {env})).code).to.equal(0)
      const again = await runCli(['addons', 'repo', 'add', 'demo', '--dir', source, '--json'], {env})
      expect(again.code).to.equal(2)
      expect(again.json.error.code).to.equal('ADDONS_REPO_EXISTS')
    })
  })
})

describe('addons deploy: several services in one call (before any host is reached)', () => {
  it('repeated --host and --service reach the rollout: a host named twice, or a tenant on no host given, is exit 2 with nothing done', async () => {
    const env = isolatedEnv()
    const source = mkdtempSync(join(tmpdir(), 'odoops-addons-many-'))
    cpSync(join(FIXTURES, 'demo-1.0'), source, {recursive: true})
    expect((await runCli(['addons', 'repo', 'add', 'acme-addons', '--dir', source, '--series', '17.0', '--json'], {env})).code).to.equal(0)
    const twice = await runCli(['addons', 'deploy', 'acme-addons', '--host', 'h1', '--host', 'h1', '--json'], {env})
    expect(twice.code).to.equal(2)
    expect(twice.json.error.code).to.equal('ADDONS_HOST_DUPLICATE')
    // Flags after the repositories, repeated: the repository list is not taken for hosts.
    const unknown = await runCli(['addons', 'deploy', 'acme-addons', '--host', 'h1', '--service', 'shared', '--service', 'nobody', '--json'], {env})
    expect(unknown.code).to.equal(2)
    expect(unknown.json.error.code).to.equal('HOST_NOT_FOUND')
  })
})
