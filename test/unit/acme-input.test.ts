import {expect} from 'chai'
import {CONFIG_KEYS} from '../../src/lib/config/keys.js'
import {ACME_SERVERS, certbotSummary, liveCertificatePaths, resolveAcmeServer, validateAcmeEmail} from '../../src/lib/remote/acme.js'
import {acmeWarning, parseResolver} from '../../src/lib/tenants/acme.js'
import {wantsAcme} from '../../src/lib/tenants/create.js'
import {normalizeCreateInput} from '../../src/lib/tenants/input.js'

describe('ACME input', () => {
  it('takes production, staging or an https directory URL as --acme-server', () => {
    expect(resolveAcmeServer(undefined)).to.equal(ACME_SERVERS.production)
    expect(resolveAcmeServer('staging')).to.equal('https://acme-staging-v02.api.letsencrypt.org/directory')
    expect(resolveAcmeServer('https://10.77.3.1:14000/dir')).to.equal('https://10.77.3.1:14000/dir')
    for (const bad of ['http://acme.example/dir', 'prod', 'https://user:pw@acme.example/dir']) {
      expect(() => resolveAcmeServer(bad), bad).to.throw().with.property('code', 'ACME_SERVER_INVALID')
    }
  })

  it('checks the account email', () => {
    expect(validateAcmeEmail(' ops@example.com ')).to.equal('ops@example.com')
    expect(() => validateAcmeEmail('ops')).to.throw().with.property('code', 'ACME_EMAIL_INVALID')
    expect(() => validateAcmeEmail("o'p@example.com")).to.throw().with.property('code', 'ACME_EMAIL_INVALID')
  })

  it('parses acme.resolver as ip, ip:port or [ipv6]:port, and the setting refuses anything else', () => {
    expect(parseResolver('10.77.1.1:8053')).to.deep.equal({address: '10.77.1.1', port: 8053})
    expect(parseResolver('192.0.2.53')).to.deep.equal({address: '192.0.2.53', port: 53})
    expect(parseResolver('[2001:db8::53]:5353')).to.deep.equal({address: '2001:db8::53', port: 5353})
    expect(parseResolver('2001:db8::53')).to.deep.equal({address: '2001:db8::53', port: 53})
    for (const bad of ['dns.example.com', '10.0.0.1:0', '10.0.0.1:70000', '']) expect(() => parseResolver(bad), bad).to.throw().with.property('code', 'ACME_RESOLVER_INVALID')
    const check = CONFIG_KEYS['acme.resolver'].check!
    expect(check('10.77.1.1:8053')).to.equal(undefined)
    expect(check('[2001:db8::53]:53')).to.equal(undefined)
    expect(check('dns.example.com')).to.be.a('string')
  })

  it('keeps certificate lineages under the slug', () => {
    expect(liveCertificatePaths('shop-one')).to.deep.equal({certificate: '/etc/letsencrypt/live/shop-one/fullchain.pem', key: '/etc/letsencrypt/live/shop-one/privkey.pem'})
    expect(() => liveCertificatePaths('../x')).to.throw()
  })

  it('--tls takes acme or self-signed, never together with --tls-cert', () => {
    const base = {slug: 'shop', host: 'h', mode: 'shared', domain: 'shop.example.com'}
    expect(normalizeCreateInput({...base, tlsMode: 'acme'}).tlsMode).to.equal('acme')
    expect(normalizeCreateInput(base).tlsMode).to.equal(undefined)
    expect(() => normalizeCreateInput({...base, tlsMode: 'letsencrypt'})).to.throw().with.property('code', 'TENANT_TLS_INVALID')
    expect(() => normalizeCreateInput({...base, tlsMode: 'acme', tlsCert: 'c.pem', tlsKey: 'k.pem'})).to.throw().with.property('code', 'TENANT_TLS_CONFLICT')
  })

  it('--alias names more domains (deduplicated), never the domain itself', () => {
    const base = {slug: 'shop', host: 'h', mode: 'shared', domain: 'shop.example.com'}
    expect(normalizeCreateInput({...base, aliases: ['www.shop.example.com', 'www.shop.example.com']}).aliases).to.deep.equal(['www.shop.example.com'])
    expect(normalizeCreateInput(base).aliases).to.equal(undefined)
    expect(() => normalizeCreateInput({...base, aliases: ['shop.example.com']})).to.throw().with.property('code', 'TENANT_ALIAS_INVALID')
    expect(() => normalizeCreateInput({...base, aliases: ['not a name']})).to.throw().with.property('code', 'DOMAIN_INVALID')
  })

  it("keeps certbot's own error lines and names the failed check in the warning", () => {
    const out = 'Saving debug log to /var/log/letsencrypt/letsencrypt.log\nCertbot failed to authenticate some domains (authenticator: webroot).\n  Domain: shop.example.com\n  Type:   unauthorized\nAsk for help or search for solutions at https://community.letsencrypt.org.'
    expect(certbotSummary(out)).to.equal('Certbot failed to authenticate some domains (authenticator: webroot).\n  Domain: shop.example.com\n  Type:   unauthorized')
    const warning = acmeWarning('shop', {certName: 'shop', domains: ['shop.example.com'], status: 'failed', failedCheck: 'http', error: 'answered 404'})
    expect(warning).to.include('check failed: port 80 challenge path').and.include('answered 404').and.include('odoops tenant tls shop --retry')
  })
})

describe('which tenants get an ACME certificate', () => {
  const host = {id: 'web1', address: '203.0.113.5', port: 22, user: 'root'}
  const withAccount = {...host, acme: {email: 'ops@example.com', server: ACME_SERVERS.production, caBundle: false, webroot: '/var/lib/odoops/acme-webroot', registeredAt: '2026-12-05T00:00:00.000Z'}}
  const input = (raw: {tlsMode?: string; tlsCert?: string; tlsKey?: string} = {}) => normalizeCreateInput({slug: 'shop', host: 'web1', mode: 'shared', domain: 'shop.example.com', ...raw})

  it('by default on a host with an ACME account, unless a certificate or --tls self-signed is given', () => {
    expect(wantsAcme(withAccount, input())).to.equal(true)
    expect(wantsAcme(host, input())).to.equal(false)
    expect(wantsAcme(withAccount, input({tlsMode: 'self-signed'}))).to.equal(false)
    expect(wantsAcme(withAccount, input({tlsCert: 'c.pem', tlsKey: 'k.pem'}))).to.equal(false)
  })

  it('refuses --tls acme on a host without an account before anything is created (exit 2)', () => {
    expect(wantsAcme(withAccount, input({tlsMode: 'acme'}))).to.equal(true)
    const error = (() => {
      try {
        wantsAcme(host, input({tlsMode: 'acme'}))
      } catch (error_) {
        return error_ as {code: string; exit: number}
      }
    })()
    expect(error).to.include({code: 'ACME_NOT_CONFIGURED', exit: 2})
  })
})
