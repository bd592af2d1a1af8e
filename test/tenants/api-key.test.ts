import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {ExitCode} from '../../src/lib/errors.js'
import type {TenantStepContext} from '../../src/lib/tenants/context.js'
import {API_KEY_MARKER, apiKeyScript, apiKeyStep, parseApiKeyOutput, rotateTenantApiKey} from '../../src/lib/tenants/api-key.js'
import {createSteps, restoreSteps} from '../../src/lib/tenants/create-steps.js'
import {adminPasswordScript, odooShellCommand} from '../../src/lib/tenants/odoo-shell.js'
import type {TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
import type {SecretBox} from '../../src/lib/secrets/secret-box.js'
import {failure} from '../helpers/failure.js'

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'

function tenant(series: string): TenantRecord {
  return {
    id: 'acme',
    host: 'h1',
    mode: 'dedicated',
    domain: 'acme.example.com',
    series,
    database: 'acme',
    state: 'active',
    service: {unit: 'odoops-acme.service', config: '/etc/odoops/tenants/acme.conf', dataDir: '/var/lib/odoops/acme', httpPort: 8100, geventPort: 8101, role: 'odoops_acme'},
  }
}

/** A connection/store that fails the test when touched. */
const untouchable = new Proxy({}, {get: (_t, name) => (name === 'then' ? undefined : () => { throw new Error(`touched ${String(name)}`) })})

/**
 * A stand-in for the `env` of odoo shell, recording what the script does with
 * res.users.apikeys, in Python (python3 runs the script as odoo shell would: exec with env).
 */
const FAKE_ENV = `
log = []
class Keys:
    def __init__(self, user=None, su=False): self.user, self.su = user, su
    def with_user(self, user): return Keys(user, self.su)
    def sudo(self): return Keys(self.user, True)
    def search(self, domain):
        log.append(('search', self.user.id, self.su, domain))
        return Found()
    def _generate(self, scope, name, expiration_date):
        log.append(('generate', self.user.id, self.su, scope, name, expiration_date))
        return '${KEY}'
class Found:
    def _remove(self): log.append(('remove',))
class Admin:
    id = 2
class Cr:
    def commit(self): log.append(('commit',))
class Env:
    cr = Cr()
    def ref(self, xmlid):
        assert xmlid == 'base.user_admin'
        return Admin()
    def __getitem__(self, model):
        assert model == 'res.users.apikeys'
        return Keys()
env = Env()
`

describe("tenants: odoops' API key (19.0+)", () => {
  it('runs odoo shell as the odoo user on the tenant database, without HTTP', () => {
    expect(odooShellCommand('/etc/odoops/tenants/acme.conf', 'acme').text).to.equal('runuser -u odoo -- odoo shell -c /etc/odoops/tenants/acme.conf -d acme --no-http --log-level=warn')
    expect(odooShellCommand('/etc/x y.conf', "it's").text).to.equal("runuser -u odoo -- odoo shell -c '/etc/x y.conf' -d 'it'\\''s' --no-http --log-level=warn")
  })

  it('the script removes the earlier odoops keys of the admin, makes a persistent one as admin in sudo, commits, then prints it', () => {
    const out = execFileSync('python3', ['-c', `${FAKE_ENV}\nexec(open(0).read())\nprint('LOG', log)`], {input: apiKeyScript(), encoding: 'utf8'})
    const lines = out.trim().split('\n')
    expect(lines[0]).to.equal(`${API_KEY_MARKER}${KEY}`)
    expect(lines[1]).to.equal(
      "LOG [('search', 2, True, [('user_id', '=', 2), ('name', '=', 'odoops')]), ('remove',), ('generate', 2, True, None, 'odoops', None), ('commit',)]",
    )
  })

  it('reads only the marked line of the output, refusing none, two, or a malformed key', () => {
    const logs = `2026-01-01 10:00:00,000 42 INFO acme odoo.modules.loading: loading 1 modules...\n${API_KEY_MARKER}${KEY}\n2026-01-01 WARNING something\n`
    expect(parseApiKeyOutput(logs)).to.equal(KEY)
    for (const bad of ['nothing here\n', `${API_KEY_MARKER}${KEY}\n${API_KEY_MARKER}${KEY}\n`, `${API_KEY_MARKER}not-a-key\n`]) {
      let code: string | undefined
      try {
        parseApiKeyOutput(bad)
      } catch (error) {
        code = (error as {code?: string}).code
      }
      expect(code, bad).to.equal('TENANT_API_KEY_UNREADABLE')
    }
  })

  it('sets the admin password with the ORM, the password only inside the script, whatever its characters', () => {
    const password = `a'b"c\\d\n${'$'}(x)é`
    const script = adminPasswordScript(password)
    expect(script).to.not.contain(password)
    const fake = `
written = []
class User:
    def write(self, vals): written.append(vals)
class Cr:
    def commit(self): written.append('commit')
class Env:
    cr = Cr()
    def ref(self, xmlid):
        assert xmlid == 'base.user_admin'
        return User()
env = Env()
`
    const out = execFileSync('python3', ['-c', `${fake}\nexec(open(0).read())\nimport json\nprint(json.dumps(written))`], {input: script, encoding: 'utf8'})
    expect(JSON.parse(out)).to.deep.equal([{password}, 'commit'])
  })

  it('the step does nothing before 19.0 and says why, without reaching the host', async () => {
    const ctx = {tenant: tenant('17.0'), conn: untouchable, env: {store: untouchable, box: untouchable}} as unknown as TenantStepContext
    expect(await apiKeyStep.run(ctx, new AbortController().signal)).to.deep.equal({change: 'unchanged', detail: 'none needed: XML-RPC with the admin password before 19.0'})
  })

  it('rotate-key refuses a tenant before 19.0 with exit 2, and one that is not active', async () => {
    const store = (t: TenantRecord) => ({tenants: {get: async () => t}}) as unknown as StateStore
    const old = await failure(rotateTenantApiKey({store: store(tenant('18.0')), box: untouchable as SecretBox}, 'acme'))
    expect(old.code).to.equal('TENANT_SERIES_NO_API_KEY')
    expect(old.exit).to.equal(ExitCode.USAGE)
    expect(old.message).to.contain('18.0')
    const stopped = await failure(rotateTenantApiKey({store: store({...tenant('19.0'), state: 'stopped'}), box: untouchable as SecretBox}, 'acme'))
    expect(stopped.code).to.equal('TENANT_NOT_ACTIVE')
  })

  it('sits after admin-password in creation plans, and once the data and service are there in restore plans', () => {
    const names = (steps: {name: string}[]) => steps.map((s) => s.name)
    expect(names(createSteps('dedicated'))).to.deep.equal(['role', 'directories', 'addons', 'config', 'unit', 'database', 'service', 'admin-password', 'api-key', 'company', 'tls', 'vhost', 'health', 'acme'])
    expect(names(createSteps('shared'))).to.deep.equal(['addons', 'database', 'admin-password', 'api-key', 'company', 'db-list', 'tls', 'vhost', 'health', 'acme'])
    expect(names(restoreSteps('dedicated'))).to.deep.equal(['role', 'directories', 'config', 'unit', 'restore-database', 'restore-filestore', 'restore-identity', 'service', 'api-key', 'tls', 'vhost', 'health'])
    expect(names(restoreSteps('shared'))).to.deep.equal(['restore-database', 'restore-filestore', 'restore-identity', 'api-key', 'db-list', 'tls', 'vhost', 'health'])
  })
})
