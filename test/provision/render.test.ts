import {expect} from 'chai'
import {dedicatedNames, sharedNames} from '../../src/lib/provision/service-names.js'
import {validateDomain} from '../../src/lib/names/domain.js'
import {validateSlug} from '../../src/lib/names/slug.js'
import {parseOdooConfig, renderOdooConfig, SIZES} from '../../src/lib/provision/odoo-config.js'
import {renderVhost} from '../../src/lib/provision/vhost.js'
import {allocatePortPair} from '../../src/lib/provision/port-allocation.js'
import {parseListeningPorts} from '../../src/lib/remote/ports.js'
import {OdoopsError} from '../../src/lib/errors.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as OdoopsError).code
  }
  return undefined
}

describe('provisioning names', () => {
  it('accepts ordinary slugs and refuses bad or reserved ones', () => {
    expect(validateSlug('acme-trading')).to.equal('acme-trading')
    for (const bad of ['A', 'a', '1acme', 'acme_x', 'acme x', 'a'.repeat(42), "acme'; drop", '']) {
      expect(codeOf(() => validateSlug(bad)), bad).to.equal('TENANT_SLUG_INVALID')
    }
    for (const reserved of ['postgres', 'template0', 'template1']) expect(codeOf(() => validateSlug(reserved))).to.equal('TENANT_SLUG_RESERVED')
  })

  it('validates domains as host names', () => {
    expect(validateDomain('Acme.ERP.example.com.')).to.equal('acme.erp.example.com')
    for (const bad of ['localhost', '-a.example.com', 'a..b', 'a_b.example.com', 'x.123', 'acme.example.com/x', 'a b.com']) {
      expect(codeOf(() => validateDomain(bad)), bad).to.equal('DOMAIN_INVALID')
    }
  })

  it('derives non-colliding names per tenant and per series', () => {
    expect(dedicatedNames('acme-x').role).to.equal('odoops_acme_x')
    expect(dedicatedNames('acme-x').unit).to.equal('odoops-acme-x.service')
    expect(sharedNames('17.0').unit).to.equal('odoops-shared-17.service')
    expect(sharedNames('16.0').dataDir).to.not.equal(sharedNames('17.0').dataDir)
  })
})

describe('odoo.conf rendering', () => {
  const base = {
    series: '17.0', dbHost: '127.0.0.1', dbPort: 5432, dbUser: 'odoops_acme', dbPassword: 'pw', dataDir: '/var/lib/odoops/tenants/acme',
    httpPort: 8100, geventPort: 8101, adminPasswd: 'master', dbFilter: '^acme$', dbNames: ['acme'], ...SIZES.small, limitTimeCpu: 600, limitTimeReal: 1200,
  }

  it('writes the documented production settings and reads them back', () => {
    const parsed = parseOdooConfig(renderOdooConfig(base))
    expect(parsed).to.include({proxy_mode: 'True', list_db: 'False', dbfilter: '^acme$', db_name: 'acme', gevent_port: '8101', http_interface: '127.0.0.1', workers: '2'})
    expect(parsed).to.not.have.property('longpolling_port')
  })

  it('uses longpolling_port before 16.0', () => {
    const parsed = parseOdooConfig(renderOdooConfig({...base, series: '15.0'}))
    expect(parsed.longpolling_port).to.equal('8101')
    expect(parsed).to.not.have.property('gevent_port')
  })

  it('refuses values that would inject extra lines', () => {
    expect(() => renderOdooConfig({...base, dbPassword: 'x\nadmin_passwd = y'})).to.throw(/line breaks/)
  })
})

describe('nginx vhost', () => {
  const spec = {slug: 'acme', domain: 'acme.example.com', series: '17.0', httpPort: 8100, geventPort: 8101, certificate: '/c.pem', certificateKey: '/k.pem'}

  it('routes /websocket to the gevent port with upgrade headers and blocks the database manager', () => {
    const text = renderVhost(spec)
    expect(text).to.match(/location \/websocket \{\s+proxy_pass http:\/\/odoops_acme_realtime;/)
    expect(text).to.include('server 127.0.0.1:8101;')
    expect(text).to.include('proxy_set_header Upgrade $http_upgrade;')
    expect(text).to.match(/location ~ \^\/web\/database \{\s+return 403;/)
    expect(text).to.include('return 301 https://$host$request_uri;')
    expect(text).to.include('proxy_read_timeout 720s;')
  })

  it('answers ACME HTTP-01 challenges on port 80 from the webroot before redirecting to https', () => {
    const text = renderVhost(spec)
    const port80 = text.slice(text.indexOf('listen 80;'), text.indexOf('listen 443 ssl;'))
    const challenge = port80.indexOf('location ^~ /.well-known/acme-challenge/ {\n    root /var/lib/odoops/acme-webroot;')
    expect(challenge).to.be.greaterThan(0)
    expect(challenge).to.be.lessThan(port80.indexOf('return 301'))
    expect(text.slice(text.indexOf('listen 443 ssl;'))).to.not.include('acme-challenge')
  })

  it('serves the aliases on both ports', () => {
    const text = renderVhost({...spec, aliases: ['www.acme.example.com']})
    expect(text.match(/server_name acme\.example\.com www\.acme\.example\.com;/g)).to.have.length(2)
  })

  it('uses /longpolling before 16.0', () => {
    expect(renderVhost({...spec, series: '15.0'})).to.include('location /longpolling {').and.not.include('/websocket')
  })
})

describe('port allocation', () => {
  it('skips recorded and listening ports and never returns a taken one', () => {
    expect(allocatePortPair([])).to.deep.equal({httpPort: 8100, geventPort: 8101})
    expect(allocatePortPair([8100, 8103])).to.deep.equal({httpPort: 8104, geventPort: 8105})
    const used: number[] = []
    for (let i = 0; i < 5; i++) {
      const pair = allocatePortPair(used)
      expect(used).to.not.include(pair.httpPort).and.not.include(pair.geventPort)
      used.push(pair.httpPort, pair.geventPort)
    }
    expect(new Set(used).size).to.equal(10)
  })

  it('fails clearly when the range is exhausted', () => {
    expect(codeOf(() => allocatePortPair([1, 2, 3, 4], {first: 1, last: 4}))).to.equal('PORTS_EXHAUSTED')
  })

  it('reads listening ports from ss output', () => {
    const ss = 'LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\nLISTEN 0 244 127.0.0.1:5432 0.0.0.0:*\nLISTEN 0 511 [::]:80 [::]:*\n'
    expect(parseListeningPorts(ss)).to.deep.equal([22, 80, 5432])
  })
})

describe('nginx default TLS server', () => {
  it('is used only where nginx has ssl_reject_handshake (1.19.4+)', async () => {
    const {supportsRejectHandshake, DEFAULT_TLS_SERVER} = await import('../../src/lib/provision/vhost.js')
    expect(supportsRejectHandshake('nginx version: nginx/1.22.1')).to.equal(true)
    expect(supportsRejectHandshake('nginx version: nginx/1.19.4')).to.equal(true)
    expect(supportsRejectHandshake('nginx version: nginx/1.19.3')).to.equal(false)
    expect(supportsRejectHandshake('nginx version: nginx/1.18.0 (Ubuntu)')).to.equal(false)
    expect(supportsRejectHandshake('command not found')).to.equal(false)
    expect(DEFAULT_TLS_SERVER).to.include('default_server').and.include('ssl_reject_handshake on;')
  })
})
