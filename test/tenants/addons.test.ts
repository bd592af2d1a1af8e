import {expect} from 'chai'
import {cpSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {DeployHostOps} from '../../src/lib/addons/deploy/host-ops.js'
import {stageAddonsForNewService} from '../../src/lib/addons/deploy/new-service.js'
import type {HostAddonFacts} from '../../src/lib/addons/deploy/probe.js'
import {addRepo, REPO_NAME_PATTERN, releaseTarPath, type AddonsEnv} from '../../src/lib/addons/repos.js'
import type {OdoopsError} from '../../src/lib/errors.js'
import {planOnboarding} from '../../src/lib/onboard/run.js'
import type {SecretBox} from '../../src/lib/secrets/secret-box.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {AddonRepoRecord, SharedServiceRecord, TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
import {loadTemplate, parseTemplate} from '../../src/lib/templates/index.js'
import {checkAddonRepos, mergeAddonRepos, parseAddonRepos, sharedAddonsPlan} from '../../src/lib/tenants/addons.js'
import {sharedAddonsStep} from '../../src/lib/tenants/addons-steps.js'
import {createTenant} from '../../src/lib/tenants/create.js'
import {normalizeCreateInput} from '../../src/lib/tenants/input.js'
import {tenantAddons} from '../../src/lib/tenants/view.js'
import {ROOT} from '../helpers/cli.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'addons')
const SHA = (c: string) => c.repeat(64)

function thrownBy(fn: () => unknown): Promise<OdoopsError> {
  return Promise.resolve()
    .then(fn)
    .then(
      () => expect.fail('expected an error'),
      (error: unknown) => error as OdoopsError,
    )
}

describe('tenant addons: the repositories a tenant asks for', () => {
  describe('--addons parsing and the merge with a template', () => {
    it('keeps the order given, each name once, blanks dropped', () => {
      expect(parseAddonRepos(' server-tools, acme_addons ,,server-tools')).to.deep.equal(['server-tools', 'acme_addons'])
      expect(parseAddonRepos(undefined)).to.deep.equal([])
    })

    it('refuses a name outside the repository-name rule (usage error)', async () => {
      const error = await thrownBy(() => parseAddonRepos('ok,Bad/Name'))
      expect(error.code).to.equal('ADDONS_REPO_NAME_INVALID')
      expect(error.exit).to.equal(2)
      expect(error.message).to.include('Bad/Name')
    })

    it('tenant create input carries them (none: no key)', () => {
      const base = {slug: 'acme', host: 'h1', mode: 'shared', domain: 'acme.example.test'}
      expect(normalizeCreateInput({...base, addons: 'a,b'}).addons).to.deep.equal(['a', 'b'])
      expect(normalizeCreateInput(base)).to.not.have.property('addons')
    })

    it("puts the template's repositories first, then the flag's others", () => {
      expect(mergeAddonRepos(['base-repo', 'vertical'], ['extra', 'vertical'])).to.deep.equal(['base-repo', 'vertical', 'extra'])
      expect(mergeAddonRepos(undefined, ['extra'])).to.deep.equal(['extra'])
      expect(mergeAddonRepos(undefined, undefined)).to.deep.equal([])
    })
  })

  describe('the set the shared service must deploy', () => {
    const recorded = [
      {repo: 'server-tools', sha256: SHA('a')},
      {repo: 'acme', sha256: SHA('b')},
    ]
    const currentOf = (map: Record<string, string>) => (repo: string) => map[repo]

    it('nothing when the service runs every repository asked for, whatever their releases', () => {
      const plan = sharedAddonsPlan(recorded, ['acme'], currentOf({acme: SHA('c'), 'server-tools': SHA('a')}))
      expect(plan).to.deep.equal({missing: [], set: []})
    })

    it('the recorded set as it runs (a newer pinned release does not move it), then the missing repositories at their current release, in the order asked', () => {
      const plan = sharedAddonsPlan(recorded, ['new-b', 'acme', 'new-a'], currentOf({'server-tools': SHA('9'), acme: SHA('8'), 'new-a': SHA('d'), 'new-b': SHA('e')}))
      expect(plan).to.deep.equal({
        missing: ['new-b', 'new-a'],
        set: [
          {repo: 'server-tools', sha256: SHA('a')},
          {repo: 'acme', sha256: SHA('b')},
          {repo: 'new-b', sha256: SHA('e')},
          {repo: 'new-a', sha256: SHA('d')},
        ],
      })
      expect(sharedAddonsPlan(undefined, ['x'], () => SHA('f'))).to.deep.equal({missing: ['x'], set: [{repo: 'x', sha256: SHA('f')}]})
    })
  })

  describe('tenant show / fleet status: the releases a tenant runs', () => {
    const repos = [{id: 'git-repo', releases: [{sha256: SHA('a'), commit: '0123456789abcdef0123456789abcdef01234567'}]}] as unknown as AddonRepoRecord[]
    const host = {services: {'17.0': {addons: [{repo: 'git-repo', sha256: SHA('a')}, {repo: 'gone', sha256: SHA('b')}]} as SharedServiceRecord}}

    it("a shared tenant shows the shared service's set: commit for git releases, the content hash otherwise", () => {
      expect(tenantAddons({mode: 'shared', series: '17.0', addons: [{repo: 'ignored', sha256: SHA('c')}]}, host, repos)).to.deep.equal([
        {repo: 'git-repo', sha256: SHA('a'), commit: '0123456789abcdef0123456789abcdef01234567', release: '0123456789ab', service: 'shared'},
        {repo: 'gone', sha256: SHA('b'), release: 'sha256:bbbbbbbbbbbb', service: 'shared'},
      ])
      expect(tenantAddons({mode: 'shared', series: '18.0'}, host, repos)).to.deep.equal([])
    })

    it('a dedicated tenant shows its own set', () => {
      expect(tenantAddons({mode: 'dedicated', series: '17.0', addons: [{repo: 'git-repo', sha256: SHA('a')}]}, host, repos)).to.deep.equal([
        {repo: 'git-repo', sha256: SHA('a'), commit: '0123456789abcdef0123456789abcdef01234567', release: '0123456789ab', service: 'dedicated'},
      ])
      expect(tenantAddons({mode: 'dedicated', series: '17.0'}, host, repos)).to.deep.equal([])
    })
  })

  describe('templates', () => {
    const doc = (addons: string) => `name: tiny\ntitle: Tiny\nversion: 1\nseries: ["17.0"]\naddons: ${addons}\nmodules: [crm, odoops_demo]\nquestions: []\n`

    it('take addons: [repo, …] under the repository-name rule', () => {
      const ok = parseTemplate(doc('[server-tools, acme_addons]'))
      expect(ok.issues).to.deep.equal([])
      expect(ok.template!.addons).to.deep.equal(['server-tools', 'acme_addons'])
      const bad = parseTemplate(doc('["Server Tools"]'))
      expect(bad.issues.map((i) => i.path)).to.deep.equal(['/addons/0'])
    })

    it("the schema's pattern is the rule of src/lib/addons/repos.ts", () => {
      const schema = JSON.parse(readFileSync(join(ROOT, 'templates', 'template.schema.json'), 'utf8')) as {properties: {addons: {items: {pattern: string}}}}
      expect(schema.properties.addons.items.pattern).to.equal(REPO_NAME_PATTERN.source)
    })
  })

  describe('with a state store', () => {
    let base: string
    let store: StateStore
    let addonsEnv: AddonsEnv

    beforeEach(async () => {
      base = mkdtempSync(join(tmpdir(), 'odoops-tenant-addons-'))
      store = await openStore(parseStateLocation(undefined, join(base, 'data')))
      addonsEnv = {store, dataDir: join(base, 'data'), cacheDir: join(base, 'cache')}
      const demo = join(base, 'demo')
      cpSync(join(FIXTURES, 'demo-1.0'), demo, {recursive: true})
      await addRepo(addonsEnv, {name: 'demo', source: {kind: 'dir', path: demo}, series: '17.0'})
    })

    afterEach(async () => {
      await store.close()
      rmSync(base, {recursive: true, force: true})
    })

    it('checkAddonRepos: every name registered, else a usage error naming addons repo list and repo add', async () => {
      expect((await checkAddonRepos({...addonsEnv}, ['demo'])).map((r) => r.id)).to.deep.equal(['demo'])
      const error = await thrownBy(() => checkAddonRepos(addonsEnv, ['demo', 'nowhere', 'nothere']))
      expect(error.code).to.equal('ADDONS_REPO_NOT_FOUND')
      expect(error.exit).to.equal(2)
      expect(error.message).to.include('nowhere, nothere')
      expect(error.suggestions.join('\n')).to.include('odoops addons repo list').and.include('odoops addons repo add nowhere')
    })

    it("checkAddonRepos: the current release's content must be on this machine", async () => {
      const sha = (await store.addonRepos.get('demo'))!.current
      rmSync(releaseTarPath(addonsEnv.dataDir, sha))
      expect((await thrownBy(() => checkAddonRepos(addonsEnv, ['demo']))).code).to.equal('ADDONS_RELEASE_NOT_LOCAL')
      // Without a data directory only the registration is checked.
      expect(await checkAddonRepos({store}, ['demo'])).to.have.length(1)
    })

    describe('tenant create: refused before anything is created', () => {
      const shared = {series: '17.0', unit: 'odoops-shared-17.service', config: '/etc/odoops/shared-17.conf', httpPort: 8069, geventPort: 8072} as SharedServiceRecord
      const env = () => ({
        store,
        box: {} as SecretBox,
        dataDir: addonsEnv.dataDir,
        connect: async (): Promise<never> => expect.fail('nothing may reach the host'),
      })
      const input = (addons: string, mode = 'shared') => normalizeCreateInput({slug: 'acme', host: 'h1', mode, domain: 'acme.example.test', addons})

      it('a repository nobody registered', async () => {
        await store.hosts.insert({id: 'h1', address: '10.0.0.1', port: 22, user: 'root', services: {'17.0': shared}})
        const error = await thrownBy(() => createTenant(env(), input('demo,nowhere', 'dedicated')))
        expect(error.code).to.equal('ADDONS_REPO_NOT_FOUND')
        expect(await store.tenants.count()).to.equal(0)
      })
    })

    describe('the shared step of tenant create', () => {
      const ctxFor = async (addons: {repo: string; sha256: string}[]) => {
        const host = {id: 'h1', address: '10.0.0.1', port: 22, user: 'root', services: {'17.0': {series: '17.0', addons} as SharedServiceRecord}}
        await store.hosts.insert(host)
        const tenant = {id: 'acme', host: 'h1', mode: 'shared', domain: 'acme.test', series: '17.0', database: 'acme.test', state: 'creating', addonRepos: ['demo']} as TenantRecord
        return {env: {store, box: {} as SecretBox, dataDir: addonsEnv.dataDir}, conn: {} as never, host, tenant}
      }

      it('changes nothing when the shared service runs the repositories already (a re-run after a crash)', async () => {
        const sha = (await store.addonRepos.get('demo'))!.current
        const result = await sharedAddonsStep.run(await ctxFor([{repo: 'demo', sha256: sha}]), new AbortController().signal)
        expect(result).to.deep.equal({change: 'unchanged', detail: 'the shared service runs demo'})
      })
    })

    describe('onboarding', () => {
      const {template} = loadTemplate('test/fixtures/templates/with-password.yaml')
      const given = {company_name: 'Acme', domain: 'erp.acme.example.test', smtp_password: 'not-a-real-secret-x1'}

      it("merges the template's repositories with --addons", async () => {
        const other = join(base, 'other')
        cpSync(join(FIXTURES, 'demo-1.0'), other, {recursive: true})
        await addRepo(addonsEnv, {name: 'other', source: {kind: 'dir', path: other}})
        const request = await planOnboarding(store, {template: {...template, addons: ['demo']}, given, addons: ['other', 'demo'], dataDir: addonsEnv.dataDir, interactive: false})
        expect(request.addons).to.deep.equal(['demo', 'other'])
      })

      it('a template naming a repository nobody registered fails before any question or record', async () => {
        let asked = 0
        const error = await thrownBy(() =>
          planOnboarding(store, {
            template: {...template, addons: ['demo', 'vertical-x']},
            given: {},
            interactive: true,
            prompter: {
              async ask() {
                asked++
                return ''
              },
            },
          }),
        )
        expect(error.code).to.equal('ADDONS_REPO_NOT_FOUND')
        expect(error.message).to.include('vertical-x')
        expect(asked).to.equal(0)
        expect(await store.onboardingRuns.count()).to.equal(0)
      })
    })
  })

  describe('a new dedicated service: checks, then each release copied once', () => {
    let base: string
    let store: StateStore
    let addonsEnv: AddonsEnv

    beforeEach(async () => {
      base = mkdtempSync(join(tmpdir(), 'odoops-tenant-addons-stage-'))
      store = await openStore(parseStateLocation(undefined, join(base, 'data')))
      addonsEnv = {store, dataDir: join(base, 'data'), cacheDir: join(base, 'cache')}
      const demo = join(base, 'demo')
      cpSync(join(FIXTURES, 'demo-1.0'), demo, {recursive: true})
      await addRepo(addonsEnv, {name: 'demo', source: {kind: 'dir', path: demo}, series: '17.0'})
    })

    afterEach(async () => {
      await store.close()
      rmSync(base, {recursive: true, force: true})
    })

    const target = {host: 'h1', series: '17.0', label: 'tenant solo'}
    function fakeOps(core: string[], present: string[] = []): Pick<DeployHostOps, 'probe' | 'upload'> & {uploads: string[]} {
      const uploads: string[] = []
      return {
        uploads,
        async probe(): Promise<HostAddonFacts> {
          return {odooAddons: [{path: '/usr/lib/python3/dist-packages/odoo/addons', modules: core}], missingPython: [], entries: present.map((name) => ({name, ageSeconds: 5})), referenced: []}
        },
        async upload(sha256: string) {
          uploads.push(sha256)
          return 'changed' as const
        },
      }
    }

    it('copies a release not on the host and returns the set; one already there is not copied again', async () => {
      const sha = (await store.addonRepos.get('demo'))!.current
      const ops = fakeOps(['base', 'web'])
      const staged = await stageAddonsForNewService(addonsEnv, ops, target, ['demo'])
      expect(staged.set).to.deep.equal([{repo: 'demo', sha256: sha}])
      expect(staged.uploaded).to.deep.equal([sha])
      const again = fakeOps(['base', 'web'], [sha])
      expect((await stageAddonsForNewService(addonsEnv, again, target, ['demo'])).uploaded).to.deep.equal([])
      expect(again.uploads).to.deep.equal([])
    })

    it('refuses modules whose dependencies the host lacks (ADDONS_CHECK_FAILED), copying nothing', async () => {
      const ops = fakeOps(['web'])
      const error = await thrownBy(() => stageAddonsForNewService(addonsEnv, ops, target, ['demo']))
      expect(error.code).to.equal('ADDONS_CHECK_FAILED')
      expect(error.message).to.include('tenant solo service on h1')
      expect(ops.uploads).to.deep.equal([])
    })
  })
})
