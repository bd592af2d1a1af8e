import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {OdoopsError} from '../../src/lib/errors.js'
import {renderRedirectVhost, redirectsFileName, vhostFileName} from '../../src/lib/provision/vhost.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {HostRecord, TenantRecord} from '../../src/lib/state/records.js'
import type {StateStore} from '../../src/lib/state/store.js'
import type {SecretBox} from '../../src/lib/secrets/secret-box.js'
import {checkNamesFree} from '../../src/lib/tenants/preflight.js'
import {nextCertName, normalizeSetDomain, oldNames, planDomainChange, setTenantDomain} from '../../src/lib/tenants/set-domain.js'

/**
 * `tenant set-domain` without a host: input rules, the plan (a shared tenant's database follows
 * its domain, a dedicated one's stays), lineage names, names taken across the fleet (redirected
 * old names too), and that a refused or unchanged run never opens SSH. The change on a real
 * host with pebble is in acme.test.ts.
 */

async function thrown(fn: () => unknown): Promise<OdoopsError> {
  try {
    await fn()
  } catch (error) {
    if (error instanceof OdoopsError) return error
    throw error
  }
  throw new Error('expected an OdoopsError')
}

function tenant(id: string, extra: Partial<TenantRecord> = {}): TenantRecord {
  return {
    id,
    host: 'web1',
    mode: 'shared',
    domain: `${id}.example.com`,
    series: '17.0',
    database: `${id}.example.com`,
    state: 'active',
    service: {unit: 'odoops-shared-17.service', config: '/etc/odoops/shared-17.conf', dataDir: '/var/lib/odoops/shared-17', httpPort: 8069, geventPort: 8072, role: 'odoops_shared_17'},
    tls: {certificate: `/etc/letsencrypt/live/${id}/fullchain.pem`, key: `/etc/letsencrypt/live/${id}/privkey.pem`, selfSigned: false, acme: true},
    acme: {certName: id, domains: [`${id}.example.com`], status: 'issued'},
    ...extra,
  }
}

const acmeHost = {id: 'web1', acme: {email: 'ops@example.com', server: 'https://acme.example/dir', caBundle: false, webroot: '/var/lib/odoops/acme-webroot', registeredAt: '2026-01-01T00:00:00Z'}} as unknown as HostRecord
const plainHost = {id: 'web1'} as HostRecord

describe('tenant set-domain: input and plan', () => {
  it('normalises the names and refuses bad ones before anything runs', async () => {
    const input = normalizeSetDomain({slug: 'shop', domain: 'Shop.Example.COM.', aliases: ['www.shop.example.com', 'www.shop.example.com']})
    expect(input).to.deep.equal({slug: 'shop', domain: 'shop.example.com', aliases: ['www.shop.example.com'], graceDays: 30})
    expect(normalizeSetDomain({slug: 'shop', domain: 'shop.example.com'})).to.not.have.property('aliases')
    expect((await thrown(() => normalizeSetDomain({slug: 'shop', domain: 'not a domain'}))).code).to.equal('DOMAIN_INVALID')
    expect((await thrown(() => normalizeSetDomain({slug: 'shop', domain: 'a.example.com', aliases: ['a.example.com']}))).code).to.equal('TENANT_ALIAS_INVALID')
    expect((await thrown(() => normalizeSetDomain({slug: 'shop', domain: 'a.example.com', graceDays: -1}))).code).to.equal('TENANT_GRACE_INVALID')
    expect((await thrown(() => normalizeSetDomain({slug: 'shop', domain: 'a.example.com', tlsMode: 'magic'}))).code).to.equal('TENANT_TLS_INVALID')
  })

  it('renames a shared tenant\'s database to its new domain, keeps a dedicated one\'s, and asks ACME for a new lineage', () => {
    const now = new Date('2026-12-05T00:00:00Z')
    const shared = planDomainChange(tenant('shop', {aliases: ['www.shop.example.com']}), acmeHost, normalizeSetDomain({slug: 'shop', domain: 'shop.example.org'}), now)!
    expect(shared).to.deep.equal({
      from: {domain: 'shop.example.com', aliases: ['www.shop.example.com'], database: 'shop.example.com'},
      to: {domain: 'shop.example.org', aliases: [], database: 'shop.example.org'},
      tls: 'acme',
      certName: 'shop.2',
      redirectUntil: '2027-01-04T00:00:00.000Z',
    })
    // Without --alias the old aliases do not follow: they redirect with the old domain.
    expect(oldNames(shared)).to.deep.equal(['shop.example.com', 'www.shop.example.com'])
    const dedicated = planDomainChange(tenant('solo', {mode: 'dedicated', database: 'solo'}), plainHost, normalizeSetDomain({slug: 'solo', domain: 'solo.example.org', graceDays: 0}), now)!
    expect(dedicated.to.database).to.equal('solo')
    expect(dedicated).to.include({tls: 'self-signed'}).and.not.have.property('redirectUntil')
    expect(planDomainChange(tenant('shop'), acmeHost, normalizeSetDomain({slug: 'shop', domain: 'shop.example.com'}))).to.equal(undefined)
    // An alias change alone is a change; a name kept is not redirected.
    const alias = planDomainChange(tenant('shop'), acmeHost, normalizeSetDomain({slug: 'shop', domain: 'shop.example.com', aliases: ['www.shop.example.com']}))!
    expect(oldNames(alias)).to.deep.equal([])
  })

  it('refuses --tls acme on a host without an ACME account', async () => {
    const error = await thrown(() => planDomainChange(tenant('shop'), plainHost, normalizeSetDomain({slug: 'shop', domain: 'shop.example.org', tlsMode: 'acme'})))
    expect(error.code).to.equal('ACME_NOT_CONFIGURED')
  })

  it('names lineages <slug>.<n> past every one the tenant and its redirects use', () => {
    expect(nextCertName(tenant('shop'))).to.equal('shop.2')
    expect(nextCertName(tenant('shop', {acme: {certName: 'shop.3', domains: [], status: 'issued'}, redirects: [{names: ['a.example.com'], until: '', certificate: '', key: '', certName: 'shop.2'}]}))).to.equal('shop.4')
    expect(nextCertName(tenant('shop', {acme: undefined}))).to.equal('shop.2')
  })

  it('renders the old names as 301s to the same path on the new domain, on port 80 after the challenge location and on 443 with the old certificate', () => {
    const text = renderRedirectVhost({slug: 'shop', to: 'shop.example.org', redirects: [{names: ['shop.example.com', 'www.shop.example.com'], certificate: '/etc/letsencrypt/live/shop/fullchain.pem', key: '/etc/letsencrypt/live/shop/privkey.pem'}]})
    expect(text.match(/server_name shop\.example\.com www\.shop\.example\.com;/g)).to.have.length(2)
    expect(text.match(/return 301 https:\/\/shop\.example\.org\$request_uri;/g)).to.have.length(2)
    expect(text.indexOf('acme-challenge')).to.be.below(text.indexOf('return 301'))
    expect(text).to.include('ssl_certificate /etc/letsencrypt/live/shop/fullchain.pem;')
    // Never the file of another tenant's vhost (slugs have no dots).
    expect(redirectsFileName('shop')).to.equal('odoops-shop.redirects.conf').and.not.equal(vhostFileName('shop-redirects'))
  })
})

describe('tenant set-domain: fleet checks before SSH', () => {
  let store: StateStore
  const noSsh = () => Promise.reject(new Error('SSH must not be used'))
  const env = () => ({store, box: {} as SecretBox, connect: noSsh})

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odoops-set-domain-'))
    store = await openStore(parseStateLocation(dir, tmpdir()))
    await store.hosts.insert({id: 'web1', address: '10.0.0.1', port: 22, user: 'root'})
    await store.tenants.insert(tenant('shop', {aliases: ['www.shop.example.com']}))
    await store.tenants.insert(tenant('other', {redirects: [{names: ['old.example.com'], until: '2999-01-01T00:00:00Z', certificate: '/x', key: '/y'}, {names: ['ended.example.com'], until: '2000-01-01T00:00:00Z', certificate: '/x', key: '/y'}]}))
  })
  after(() => store.close())

  it("refuses another tenant's domain, alias or redirected old name (DOMAIN_IN_USE), not an ended redirect's or its own", async () => {
    for (const [slug, name, words] of [['other', 'www.shop.example.com', 'an alias of tenant "shop"'], ['shop', 'old.example.com', 'an old name of tenant "other"']]) {
      const error = await thrown(() => setTenantDomain(env(), normalizeSetDomain({slug, domain: name})))
      expect(error.code, name).to.equal('DOMAIN_IN_USE')
      expect(error.message).to.include(words)
    }
    const taken = await thrown(() => setTenantDomain(env(), normalizeSetDomain({slug: 'shop', domain: 'other.example.com'})))
    expect(taken.code).to.equal('DOMAIN_IN_USE')
    expect(taken.exit).to.equal(2)
    // An ended redirect frees its names; a tenant's own names and redirects never block it.
    await checkNamesFree(store, ['ended.example.com', 'shop.example.com', 'www.shop.example.com'], 'shop')
    await checkNamesFree(store, ['old.example.com'], 'other')
    expect(await store.tenants.get('shop')).to.not.have.property('domainChange')
  })

  it('the same names are a clear no-op without SSH', async () => {
    const result = await setTenantDomain(env(), normalizeSetDomain({slug: 'shop', domain: 'shop.example.com', aliases: ['www.shop.example.com']}))
    expect(result).to.include({changed: false})
    expect(result.to).to.deep.equal(result.from)
    expect((await thrown(() => setTenantDomain(env(), normalizeSetDomain({slug: 'nope', domain: 'a.example.com'})))).code).to.equal('TENANT_NOT_FOUND')
  })

  it('an unfinished change is continued, never replaced by another domain; --resume needs one', async () => {
    const pending = planDomainChange(tenant('half'), acmeHost, normalizeSetDomain({slug: 'half', domain: 'half.example.org'}))!
    await store.tenants.insert(tenant('half', {domainChange: pending, operation: {kind: 'set-domain', startedAt: '2026-12-05T00:00:00Z', steps: [], failedStep: 'database'}}))
    const other = await thrown(() => setTenantDomain(env(), normalizeSetDomain({slug: 'half', domain: 'elsewhere.example.org'})))
    expect(other.code).to.equal('TENANT_DOMAIN_CHANGE_UNFINISHED')
    expect(other.message).to.include('half.example.org').and.include('failed at database')
    expect((await thrown(() => setTenantDomain(env(), {slug: 'shop', resume: true}))).code).to.equal('TENANT_NOT_RESUMABLE')
    // The same domain (or --resume) continues it: on the host (here: no SSH, so the connection is what fails).
    const resumed = await setTenantDomain(env(), {slug: 'half', resume: true}).then(
      () => undefined,
      (error: unknown) => error as Error,
    )
    expect(resumed?.message).to.equal('SSH must not be used')
  })
})
